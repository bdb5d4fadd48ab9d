// `/readyz`: ready only when a DingTalk token is obtainable from the egress address, a signed round
// trip with the worker proves both keys, the events channel is up, and the proxy is not draining.
// Results (not the drain state) are cached a few seconds so probes do not hammer DingTalk or the worker.
import type { Logger } from 'pino'
import type { ProxyConfig } from './config.ts'
import { DingTalkCrypto } from './dingtalk-crypto.ts'
import { TokenUnavailableError, type ReadinessCode } from './errors.ts'
import type { TokenCache } from './token-cache.ts'
import { checkWorker, type WorkerCheckOptions } from './worker-check.ts'

export type CheckResult = 'ok' | ReadinessCode

/** Supplied by the Stream client (egress-proxy/src/stream): 'ok' while connected, else STREAM_DISCONNECTED. */
export type EventsCheck = () => CheckResult | Promise<CheckResult>

export type ReadinessOptions = {
  config: ProxyConfig
  tokens: TokenCache
  worker: Omit<WorkerCheckOptions, 'workerUrl' | 'proxyKey' | 'workerKeys'>
  startedAt: number
  isDraining: () => boolean
  /** Used when DINGTALK_EVENTS=stream; without one, stream mode reports STREAM_DISCONNECTED. */
  eventsCheck?: EventsCheck
  logger?: Logger
  cacheMs?: number
}

export type ReadinessReport = {
  ok: boolean
  proxy: { id: string; startedAt: string; draining: boolean; egressAddress: string | null; events: 'stream' | 'http' }
  checks: { token: CheckResult; worker: CheckResult; events: CheckResult; drain: CheckResult }
}

async function checkToken(tokens: TokenCache): Promise<CheckResult> {
  try {
    await tokens.get()
    return 'ok'
  } catch (error) {
    return error instanceof TokenUnavailableError ? error.fault : 'TOKEN_UNAVAILABLE'
  }
}

/** HTTP push: the callback token and AES key must make a working cipher (a round trip). */
export function checkCallbackConfig(dingtalk: ProxyConfig['dingtalk']): CheckResult {
  if (!dingtalk.callbackToken || /\s/.test(dingtalk.callbackToken)) return 'CALLBACK_CONFIG_INVALID'
  try {
    const crypto = new DingTalkCrypto({ token: dingtalk.callbackToken, aesKey: dingtalk.callbackAesKey, ownerKey: dingtalk.ownerKey })
    const probe = '{"EventType":"check_url"}'
    return crypto.decrypt(crypto.encrypt(probe)) === probe ? 'ok' : 'CALLBACK_CONFIG_INVALID'
  } catch {
    return 'CALLBACK_CONFIG_INVALID'
  }
}

export function createReadiness(options: ReadinessOptions): () => Promise<ReadinessReport> {
  const { config } = options
  const egressAddress = config.egressLocalAddress ?? null
  const events = async (): Promise<CheckResult> => {
    if (config.events === 'http') return checkCallbackConfig(config.dingtalk)
    try {
      return options.eventsCheck ? await options.eventsCheck() : 'STREAM_DISCONNECTED'
    } catch {
      return 'STREAM_DISCONNECTED'
    }
  }
  const run = async () => {
    const [token, eventsResult] = await Promise.all([checkToken(options.tokens), events()])
    const worker = await checkWorker(
      { ...options.worker, workerUrl: config.workerUrl, proxyKey: config.proxyKey, workerKeys: config.workerKeys },
      { proxyId: config.proxyId, egressAddress, events: config.events, ready: token === 'ok' && eventsResult === 'ok' && !options.isDraining() },
    )
    return { token, worker, events: eventsResult }
  }

  let cached: { at: number; value: Promise<Awaited<ReturnType<typeof run>>> } | undefined
  let lastFailures = ''
  return async () => {
    const now = options.worker.now()
    if (!cached || now - cached.at >= (options.cacheMs ?? 5_000)) cached = { at: now, value: run() }
    const checks = await cached.value
    const draining = options.isDraining()
    const all = { ...checks, drain: draining ? ('PROXY_DRAINING' as const) : ('ok' as const) }
    const failures = Object.entries(all).filter(([, v]) => v !== 'ok').map(([k, v]) => `${k}=${v}`).join(' ')
    if (failures !== lastFailures) {
      // As one string: pino's redaction of any `token` field would hide the token check's result.
      if (failures) options.logger?.warn({ failing: failures }, 'not ready')
      else if (lastFailures) options.logger?.info({ was: lastFailures }, 'ready again')
      lastFailures = failures
    }
    return {
      ok: failures === '',
      proxy: { id: config.proxyId, startedAt: new Date(options.startedAt).toISOString(), draining, egressAddress, events: config.events },
      checks: all,
    }
  }
}
