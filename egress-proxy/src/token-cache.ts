// The DingTalk access token (dingtalk.md §1.1): fetched from the egress address, cached until ~10 min
// before expiry, one fetch shared by concurrent callers, and a short back-off after a failure so a
// broken secret or whitelist does not turn into a storm of token calls.
import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import type { FetchLike } from './egress.ts'
import { TokenUnavailableError, type TokenFault } from './errors.ts'

export type TokenCacheOptions = {
  apiBase: URL
  appKey: string
  appSecret: string
  fetch: FetchLike
  dispatcher?: Dispatcher
  logger: Logger
  now?: () => number
  /** Refresh this long before expiry (default 10 min, but never before half the lifetime). */
  refreshMarginMs?: number
  /** After a failed fetch, answer the same error for this long without calling again (default 5 s). */
  failureBackoffMs?: number
  /** Default TOKEN_TIMEOUT_MS. */
  timeoutMs?: number
}

/** The proxy's whole budget is token (3 s) + upstream (10 s), below the worker's 15 s per attempt. */
export const TOKEN_TIMEOUT_MS = 3_000

/** DingTalk's token refusals that name an operator's fault (dingtalk.md §1.1, §8). */
function faultOf(code: string): TokenFault {
  if (code === 'Forbidden.AccessDenied.IpNotInWhiteList') return 'IP_NOT_WHITELISTED'
  if (code === 'invalidClientIdOrSecret') return 'DINGTALK_CREDENTIALS_INVALID'
  return 'TOKEN_UNAVAILABLE'
}

type Cached = { value: string; refreshAt: number; expiresAt: number }

export class TokenCache {
  readonly #options: TokenCacheOptions
  readonly #now: () => number
  #cached: Cached | undefined
  #inflight: Promise<string> | undefined
  #failure: { error: TokenUnavailableError; until: number } | undefined
  #fetches = 0

  constructor(options: TokenCacheOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /** How many token fetches were started (for tests and the readiness view). */
  get fetchCount(): number {
    return this.#fetches
  }

  async get(): Promise<string> {
    const now = this.#now()
    const cached = this.#cached
    if (cached && now < cached.refreshAt) return cached.value
    if (this.#inflight) return this.#inflight
    if (this.#failure && now < this.#failure.until) {
      if (cached && now < cached.expiresAt) return cached.value
      throw this.#failure.error
    }
    this.#inflight = this.#refresh().finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }

  /** Drops the cached token, but only if it is the one DingTalk rejected (another call may have renewed it). */
  invalidate(rejected?: string): void {
    if (rejected === undefined || this.#cached?.value === rejected) this.#cached = undefined
  }

  async #refresh(): Promise<string> {
    this.#fetches += 1
    const started = this.#now()
    try {
      const { token, expireIn } = await this.#fetchToken()
      const lifetime = expireIn * 1000
      const margin = Math.min(this.#options.refreshMarginMs ?? 10 * 60_000, lifetime / 2)
      this.#cached = { value: token, refreshAt: started + lifetime - margin, expiresAt: started + lifetime }
      this.#failure = undefined
      this.#options.logger.info({ expireIn }, 'dingtalk access token obtained')
      return token
    } catch (cause) {
      const error = cause instanceof TokenUnavailableError ? cause : new TokenUnavailableError('cannot obtain a DingTalk access token', { cause })
      this.#failure = { error, until: this.#now() + (this.#options.failureBackoffMs ?? 5_000) }
      this.#options.logger.error({ code: error.code, reason: error.message }, 'dingtalk access token unavailable')
      const cached = this.#cached
      if (cached && this.#now() < cached.expiresAt) return cached.value
      throw error
    }
  }

  async #fetchToken(): Promise<{ token: string; expireIn: number }> {
    const { apiBase, appKey, appSecret, dispatcher } = this.#options
    const url = new URL(`${apiBase.pathname.replace(/\/$/, '')}/v1.0/oauth2/accessToken`, apiBase)
    let response: Awaited<ReturnType<FetchLike>>
    try {
      response = await this.#options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ appKey, appSecret }),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? TOKEN_TIMEOUT_MS),
        dispatcher,
      })
    } catch (cause) {
      const what = (cause as Error)?.name === 'TimeoutError' ? 'did not answer in time' : 'cannot be reached'
      throw new TokenUnavailableError(`the DingTalk token endpoint ${what}`, { cause, fault: 'DINGTALK_UNREACHABLE' })
    }
    const text = await response.text().catch(() => '')
    let body: { accessToken?: unknown; expireIn?: unknown; code?: unknown } = {}
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: reported below by status
    }
    if (!response.ok) {
      const code = typeof body?.code === 'string' ? body.code.slice(0, 100) : 'no code'
      throw new TokenUnavailableError(`the DingTalk token endpoint answered ${response.status} ${code}`, { fault: faultOf(code) })
    }
    const expireIn = Number(body?.expireIn)
    if (typeof body?.accessToken !== 'string' || !body.accessToken || !(expireIn > 0)) {
      throw new TokenUnavailableError('the DingTalk token endpoint answered without accessToken/expireIn')
    }
    return { token: body.accessToken, expireIn }
  }
}
