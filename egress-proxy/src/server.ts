// Builds the proxy's HTTP server (routes, error boundary, request logs, graceful close) from a loaded
// config. Listening is the caller's business: main.ts in production, tests on port 0.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { fetch as undiciFetch } from 'undici'
import { MemoryReplayStore, ProofError } from '../../proof/src/index.ts'
import { handleCallback, type CallbackDeps } from './callback.ts'
import type { ProxyConfig } from './config.ts'
import { DingTalkCrypto } from './dingtalk-crypto.ts'
import { createEgress, type FetchLike } from './egress.ts'
import { MethodNotAllowedError, NotAllowedError, NotFoundError, ProxyError } from './errors.ts'
import { createReadiness } from './health.ts'
import { pathOf, requestIdOf, sendError, sendJson } from './http-util.ts'
import { loggableUrl } from './logger.ts'
import { handleRelay, type RelayDeps } from './relay.ts'
import { TokenCache } from './token-cache.ts'
import { UpstreamClient } from './upstream.ts'

export type ProxyTuning = {
  relayTimeoutMs: number
  workerTimeoutMs: number
  readinessCacheMs: number
  tokenFailureBackoffMs: number
  drainMs: number
}

export const DEFAULT_TUNING: ProxyTuning = {
  relayTimeoutMs: 10_000,
  workerTimeoutMs: 2_000,
  readinessCacheMs: 5_000,
  tokenFailureBackoffMs: 5_000,
  drainMs: 10_000,
}

export type BuildServerOptions = {
  config: ProxyConfig
  logger: Logger
  /** For the proxy's own calls (token, worker, readiness); undici's fetch by default. */
  fetch?: FetchLike
  /** Clock in milliseconds; `Date.now` by default. */
  now?: () => number
  tuning?: Partial<ProxyTuning>
  /** The events channel's readiness (the Stream client's `status`); not checked when absent. */
  eventsStatus?: () => 'ok' | 'STREAM_DISCONNECTED'
}

export type ProxyApp = {
  server: http.Server
  tokens: TokenCache
  listen(port?: number, host?: string): Promise<AddressInfo>
  /** Stops accepting, drains in-flight requests (up to `drainMs`), closes outbound pools. */
  close(): Promise<void>
}

type Route = (req: http.IncomingMessage, res: http.ServerResponse, log: Logger) => Promise<void> | void

function only(methods: string[], route: Route): Route {
  return (req, res, log) => {
    if (!methods.includes(req.method ?? '')) throw new MethodNotAllowedError(methods.join(', '))
    return route(req, res, log)
  }
}

function answerError(res: http.ServerResponse, error: unknown, log: Logger): void {
  if (error instanceof ProofError) {
    log.warn({ code: error.code }, 'relay refused: bad proof')
    return sendError(res, error.status, error.code, error.message)
  }
  if (error instanceof ProxyError) {
    if (error instanceof NotAllowedError) log.warn({ code: error.code, reason: error.reason }, 'relay refused: not allowed')
    else if (error.status >= 500 && !error.logged) log.error({ code: error.code, reason: error.message, cause: (error.cause as Error)?.message }, 'request failed')
    const headers = error instanceof MethodNotAllowedError ? { allow: error.allow } : undefined
    return sendError(res, error.status, error.code, error.message, headers)
  }
  log.error({ err: error }, 'unexpected error')
  sendError(res, 500, 'INTERNAL_ERROR', 'internal error')
}

export function buildServer(options: BuildServerOptions): ProxyApp {
  const { config, logger } = options
  const now = options.now ?? Date.now
  const fetch = options.fetch ?? undiciFetch
  const tuning = { ...DEFAULT_TUNING, ...options.tuning }
  const egress = createEgress(config.egressLocalAddress)
  const { apiBase, appKey, appSecret } = config.dingtalk
  const tokens = new TokenCache({
    apiBase,
    appKey,
    appSecret,
    fetch,
    dispatcher: egress.dingtalk,
    logger,
    now,
    failureBackoffMs: tuning.tokenFailureBackoffMs,
  })
  const relay: RelayDeps = {
    config,
    tokens,
    upstream: new UpstreamClient({ egress, localAddress: config.egressLocalAddress, timeoutMs: tuning.relayTimeoutMs }),
    replay: new MemoryReplayStore({ now }),
    now,
  }
  const callback: CallbackDeps = {
    crypto: new DingTalkCrypto({ token: config.dingtalk.callbackToken, aesKey: config.dingtalk.callbackAesKey, ownerKey: config.dingtalk.ownerKey }),
    worker: { workerUrl: config.workerUrl, key: config.proxyKey, fetch, dispatcher: egress.worker, now, timeoutMs: tuning.workerTimeoutMs },
    now,
  }
  const readiness = createReadiness({ tokens, workerUrl: config.workerUrl, fetch, dispatcher: egress.worker, now, cacheMs: tuning.readinessCacheMs, events: options.eventsStatus })

  const routes = new Map<string, Route>([
    ['/dingtalk/events', only(['POST'], (req, res, log) => handleCallback(callback, req, res, log))],
    ['/healthz', only(['GET', 'HEAD'], (_req, res) => sendJson(res, 200, { ok: true }))],
    [
      '/readyz',
      only(['GET', 'HEAD'], async (_req, res) => {
        const { ready, checks } = await readiness()
        if (ready) return sendJson(res, 200, { ok: true, checks })
        const failed = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k, v]) => `${k}: ${v}`)
        sendJson(res, 503, { ok: false, checks, error: { code: 'NOT_READY', message: failed.join('; ') } })
      }),
    ],
  ])

  const relayRoute: Route = (req, res, log) => handleRelay(relay, req, res, log)
  const quiet = new Set(['/healthz', '/readyz'])

  let closing = false
  let inflight = 0
  const server = http.createServer(async (req, res) => {
    const reqId = requestIdOf(req)
    const log = logger.child({ reqId })
    const started = performance.now()
    inflight += 1
    res.setHeader('x-request-id', reqId)
    if (closing) res.setHeader('connection', 'close')
    res.on('close', () => {
      inflight -= 1
      const ms = Math.round(performance.now() - started)
      const level = quiet.has(pathOf(req.url)) && res.statusCode < 400 ? 'debug' : 'info'
      log[level]({ method: req.method, url: loggableUrl(req.url), status: res.statusCode, ms, completed: res.writableFinished }, 'request')
    })
    try {
      const url = req.url ?? ''
      const path = pathOf(url)
      // Absolute-form targets go to the relay too: refused there after the proof check.
      const route = !url.startsWith('/') || path === '/relay' || path.startsWith('/relay/') ? relayRoute : routes.get(path)
      if (!route) throw new NotFoundError()
      await route(req, res, log)
    } catch (error) {
      answerError(res, error, log)
    }
  })

  // Bounds slow clients: the relay and push bodies are small and DingTalk answers fast.
  server.requestTimeout = 30_000

  let closed: Promise<void> | undefined
  return {
    server,
    tokens,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as AddressInfo)
        })
      })
    },
    close() {
      closed ??= (async () => {
        closing = true
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
        // Keep-alive connections become idle as their last response ends: close them as they do.
        const sweeper = setInterval(() => server.closeIdleConnections(), 100)
        server.closeIdleConnections()
        let timer: NodeJS.Timeout | undefined
        const drained = await Promise.race([
          stopped.then(() => true),
          new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), tuning.drainMs))),
        ])
        clearTimeout(timer)
        clearInterval(sweeper)
        if (!drained) {
          logger.warn({ inflight }, 'drain timed out; closing remaining connections')
          server.closeAllConnections()
          await stopped
        }
        await egress.close()
      })()
      return closed
    },
  }
}
