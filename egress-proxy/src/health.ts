// `/healthz` (the process answers) and `/readyz` (config loaded, a DingTalk token obtainable, the
// worker reachable). Readiness is cached a few seconds so probes do not hammer DingTalk or the worker.
import type { Dispatcher } from 'undici'
import type { FetchLike } from './egress.ts'
import type { TokenCache } from './token-cache.ts'

export type ReadinessOptions = {
  tokens: TokenCache
  workerUrl: URL
  fetch: FetchLike
  dispatcher?: Dispatcher
  now: () => number
  cacheMs?: number
  timeoutMs?: number
  /** The events channel (Stream) check, read fresh on every probe; absent = not checked. */
  events?: () => CheckResult
}

export type CheckResult = 'ok' | string

export type Readiness = {
  ready: boolean
  checks: { config: CheckResult; token: CheckResult; worker: CheckResult; events?: CheckResult }
}

/** Any HTTP answer from the worker counts as reachable; only a network error or timeout does not. */
async function checkWorker(options: ReadinessOptions): Promise<CheckResult> {
  const url = new URL(`${options.workerUrl.pathname.replace(/\/+$/, '')}/api/health`, options.workerUrl)
  try {
    const response = await options.fetch(url, {
      method: 'GET',
      signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
      dispatcher: options.dispatcher,
    })
    await response.arrayBuffer().catch(() => undefined)
    return 'ok'
  } catch (error) {
    return (error as Error)?.name === 'TimeoutError' ? 'worker did not answer in time' : 'worker cannot be reached'
  }
}

async function checkToken(tokens: TokenCache): Promise<CheckResult> {
  try {
    await tokens.get()
    return 'ok'
  } catch (error) {
    return (error as Error).message
  }
}

export function createReadiness(options: ReadinessOptions): () => Promise<Readiness> {
  let cached: { at: number; value: Promise<Readiness> } | undefined
  const run = async (): Promise<Readiness> => {
    const [token, worker] = await Promise.all([checkToken(options.tokens), checkWorker(options)])
    return { ready: token === 'ok' && worker === 'ok', checks: { config: 'ok', token, worker } }
  }
  return async () => {
    const now = options.now()
    if (!cached || now - cached.at >= (options.cacheMs ?? 5_000)) cached = { at: now, value: run() }
    const result = await cached.value
    if (!options.events) return result
    const events = options.events()
    return { ready: result.ready && events === 'ok', checks: { ...result.checks, events } }
  }
}
