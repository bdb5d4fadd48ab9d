// Builds the proxy's HTTP server (routes, error boundary, request logs) from a loaded config; the
// drain lives in lifecycle.ts. Listening is the caller's business: main.ts in production, tests on port 0.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { fetch as undiciFetch } from 'undici'
import { MemoryReplayStore, PROOF_HEADER, PROXY_AUDIENCE, ProofError, verifyProof } from '../../proof/src/index.ts'
import { handleCallback, type CallbackDeps } from './callback.ts'
import type { ProxyConfig } from './config.ts'
import { DingTalkCrypto } from './dingtalk-crypto.ts'
import { createEgress, type FetchLike } from './egress.ts'
import { MethodNotAllowedError, NotAllowedError, NotFoundError, ProxyDrainingError, ProxyError } from './errors.ts'
import { createReadiness, type EventsCheck } from './health.ts'
import { pathOf, requestIdOf, sendError, sendJson } from './http-util.ts'
import { createLifecycle, type Hook } from './lifecycle.ts'
import { loggableUrl } from './logger.ts'
import { handleRelay, type RelayDeps } from './relay.ts'
import { TokenCache } from './token-cache.ts'
import { UpstreamClient } from './upstream.ts'

export type ProxyTuning = {
  /** Upstream answer timeout; default UPSTREAM_TIMEOUT_MS. */
  relayTimeoutMs: number
  workerTimeoutMs: number
  readinessCacheMs: number
  tokenFailureBackoffMs: number
  /** Listener kept open after drain() (deregistration delay); default DRAIN_DELAY_MS. */
  drainDelayMs: number
  /** In-flight finish after the listener closes; default DRAIN_TIMEOUT_MS. */
  drainMs: number
}

export const DEFAULT_TUNING: Omit<ProxyTuning, 'relayTimeoutMs' | 'drainDelayMs' | 'drainMs'> = {
  workerTimeoutMs: 2_000,
  readinessCacheMs: 5_000,
  tokenFailureBackoffMs: 5_000,
}

/** Header on every answer of the proxy, so the worker can tell a proxy's coded answer from a stranger's (stable). */
export const PROXY_ID_HEADER = 'x-licensedesk-proxy'

export type BuildServerOptions = {
  config: ProxyConfig
  logger: Logger
  /** For the proxy's own calls (token, worker, readiness); undici's fetch by default. */
  fetch?: FetchLike
  /** Clock in milliseconds; `Date.now` by default. */
  now?: () => number
  /** When the proxy started (ms); `now()` at build by default. Proofs issued earlier are refused. */
  startedAt?: number
  /** Events readiness in stream mode (the Stream client's status). */
  eventsCheck?: EventsCheck
  tuning?: Partial<ProxyTuning>
}

export type ProxyApp = {
  server: http.Server
  tokens: TokenCache
  startedAt: number
  readonly draining: boolean
  listen(port?: number, host?: string): Promise<AddressInfo>
  /** Step 1 of the drain: /readyz 503, new relays 503 PROXY_DRAINING; pushes and in-flight work go on. */
  drain(): void
  /** Step 2: stop accepting, finish in-flight requests (up to `drainMs`), run `onClose` hooks, close pools. */
  close(): Promise<void>
  /** SIGTERM: drain(), keep listening `drainDelayMs`, then close(). */
  shutdown(): Promise<void>
  /** Called once when draining starts. */
  onDrain(hook: Hook): void
  /** Awaited after the listener closed and in-flight requests ended, before the outbound pools close (e.g. the Stream client). */
  onClose(hook: Hook): void
  /** Replaces the stream-mode events check (the Stream client registers its status here). */
  setEventsCheck(check: EventsCheck): void
  /** Runs the readiness checks now (cached like /readyz); the worker round trip is the heartbeat it records. */
  checkReadiness(): Promise<{ ok: boolean }>
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
    const headers: Record<string, string> | undefined =
      error instanceof MethodNotAllowedError
        ? { allow: error.allow }
        : error instanceof ProxyDrainingError
          ? { 'retry-after': '1', connection: 'close' }
          : undefined
    return sendError(res, error.status, error.code, error.message, headers)
  }
  log.error({ err: error }, 'unexpected error')
  sendError(res, 500, 'INTERNAL_ERROR', 'internal error')
}

export function buildServer(options: BuildServerOptions): ProxyApp {
  const { config, logger } = options
  const now = options.now ?? Date.now
  const fetch = options.fetch ?? undiciFetch
  const startedAt = options.startedAt ?? now()
  const tuning: ProxyTuning = {
    relayTimeoutMs: config.upstreamTimeoutMs,
    drainDelayMs: config.drainDelayMs,
    drainMs: config.drainTimeoutMs,
    ...DEFAULT_TUNING,
    ...options.tuning,
  }
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
  const replay = new MemoryReplayStore({ now })
  const relay: RelayDeps = {
    config,
    tokens,
    upstream: new UpstreamClient({ egress, localAddress: config.egressLocalAddress, timeoutMs: tuning.relayTimeoutMs }),
    replay,
    now,
    startedAt,
  }
  const callback: CallbackDeps = {
    crypto: new DingTalkCrypto({ token: config.dingtalk.callbackToken, aesKey: config.dingtalk.callbackAesKey, ownerKey: config.dingtalk.ownerKey }),
    worker: { workerUrl: config.workerUrl, key: config.proxyKey, fetch, dispatcher: egress.worker, now, timeoutMs: tuning.workerTimeoutMs },
    now,
  }

  let eventsCheck = options.eventsCheck
  const readiness = createReadiness({
    config,
    tokens,
    worker: { fetch, dispatcher: egress.worker, now, timeoutMs: tuning.workerTimeoutMs },
    startedAt,
    isDraining: () => lifecycle.draining,
    eventsCheck: () => (eventsCheck ? eventsCheck() : 'STREAM_DISCONNECTED'),
    logger,
    cacheMs: tuning.readinessCacheMs,
  })

  /** Details only for the worker (or an operator with its key): a valid proof for GET /readyz. */
  const signedCaller = async (req: http.IncomingMessage): Promise<boolean> => {
    const proof = req.headers[PROOF_HEADER]
    if (typeof proof !== 'string') return false
    try {
      await verifyProof(proof, { keys: config.workerKeys, aud: PROXY_AUDIENCE, method: 'GET', target: req.url ?? '', body: '', replay, now: now(), notBefore: startedAt })
      return true
    } catch {
      return false
    }
  }

  const routes = new Map<string, Route>([
    ['/dingtalk/events', only(['POST'], (req, res, log) => handleCallback(callback, req, res, log))],
    ['/healthz', only(['GET', 'HEAD'], (_req, res) => sendJson(res, 200, { ok: true }))],
    [
      '/readyz',
      only(['GET', 'HEAD'], async (req, res) => {
        const [report, signed] = await Promise.all([readiness(), signedCaller(req)])
        sendJson(res, report.ok ? 200 : 503, signed ? report : { ok: report.ok })
      }),
    ],
  ])

  const relayRoute: Route = (req, res, log) => {
    if (lifecycle.draining) {
      req.resume()
      throw new ProxyDrainingError()
    }
    return handleRelay(relay, req, res, log)
  }
  const quiet = new Set(['/healthz', '/readyz'])

  let inflight = 0
  const server = http.createServer(async (req, res) => {
    const reqId = requestIdOf(req)
    const log = logger.child({ reqId })
    const started = performance.now()
    inflight += 1
    res.setHeader('x-request-id', reqId)
    res.setHeader(PROXY_ID_HEADER, config.proxyId)
    // While draining, every answer asks the client to open a new connection (to another proxy).
    if (lifecycle.draining) res.setHeader('connection', 'close')
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

  const lifecycle = createLifecycle({
    server,
    logger,
    drainDelayMs: tuning.drainDelayMs,
    drainTimeoutMs: tuning.drainMs,
    inflight: () => inflight,
    closeOutbound: () => egress.close(),
  })

  return {
    server,
    tokens,
    startedAt,
    get draining() {
      return lifecycle.draining
    },
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as AddressInfo)
        })
      })
    },
    drain: () => lifecycle.drain(),
    close: () => lifecycle.close(),
    shutdown: () => lifecycle.shutdown(),
    onDrain: (hook) => lifecycle.onDrain(hook),
    onClose: (hook) => lifecycle.onClose(hook),
    setEventsCheck(check) {
      eventsCheck = check
    },
    async checkReadiness() {
      return { ok: (await readiness()).ok }
    },
  }
}
