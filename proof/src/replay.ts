// Remembers proof ids until they expire, so a proof is accepted once.

export interface ReplayStore {
  /** Records `jti` until `exp` (seconds). Resolves false when it was already recorded. */
  remember(jti: string, exp: number): Promise<boolean>
}

export type MemoryReplayStoreOptions = { maxEntries?: number; now?: () => number }

/** In-memory store for one process; swept lazily. Bounded: when full it refuses new ids. */
export class MemoryReplayStore implements ReplayStore {
  #seen = new Map<string, number>()
  #maxEntries: number
  #now: () => number
  #nextSweep = 0

  constructor(options: MemoryReplayStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1_000_000
    this.#now = options.now ?? Date.now
  }

  get size(): number {
    return this.#seen.size
  }

  async remember(jti: string, exp: number): Promise<boolean> {
    const nowSeconds = Math.floor(this.#now() / 1000)
    if (nowSeconds >= this.#nextSweep || this.#seen.size >= this.#maxEntries) this.#sweep(nowSeconds)
    const known = this.#seen.get(jti)
    if (known !== undefined && known >= nowSeconds) return false
    // Fail closed: a full store means a flood; refusing is safer than forgetting.
    if (this.#seen.size >= this.#maxEntries) return false
    this.#seen.set(jti, exp)
    return true
  }

  #sweep(nowSeconds: number): void {
    for (const [jti, exp] of this.#seen) if (exp < nowSeconds) this.#seen.delete(jti)
    this.#nextSweep = nowSeconds + 10
  }
}
