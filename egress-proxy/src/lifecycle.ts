// The proxy's drain (docs/proxy.md, "Drain"): draining is reported at once, the listener stays open
// for the deregistration delay, then it closes, in-flight work finishes (bounded), the registered
// closers run (e.g. the Stream client) and the outbound pools close.
import type http from 'node:http'
import type { Logger } from 'pino'

export type Hook = () => void | Promise<void>

export type LifecycleOptions = {
  server: http.Server
  logger: Logger
  /** Listener kept open after drain(). */
  drainDelayMs: number
  /** In-flight finish after the listener closes; then remaining connections are cut. */
  drainTimeoutMs: number
  /** Requests being served, for the logs. */
  inflight: () => number
  /** Last step: the outbound pools. */
  closeOutbound: () => Promise<void>
}

export type Lifecycle = {
  readonly draining: boolean
  drain(): void
  close(): Promise<void>
  shutdown(): Promise<void>
  onDrain(hook: Hook): void
  onClose(hook: Hook): void
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { server, logger } = options
  const drainHooks: Hook[] = []
  const closeHooks: Hook[] = []
  let draining = false
  let closed: Promise<void> | undefined
  let shuttingDown: Promise<void> | undefined

  const runHooks = async (hooks: Hook[], what: string) => {
    const results = await Promise.allSettled(hooks.map(async (hook) => hook()))
    for (const result of results) if (result.status === 'rejected') logger.error({ err: result.reason }, `${what} hook failed`)
  }

  const drain = () => {
    if (draining) return
    draining = true
    logger.info({ inflight: options.inflight(), drainDelayMs: options.drainDelayMs }, 'draining: readiness 503, new relays refused with PROXY_DRAINING')
    void runHooks(drainHooks, 'drain')
  }

  const close = () => {
    closed ??= (async () => {
      drain()
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      // Keep-alive connections become idle as their last response ends: close them as they do.
      const sweeper = setInterval(() => server.closeIdleConnections(), 100)
      server.closeIdleConnections()
      let timer: NodeJS.Timeout | undefined
      const finished = await Promise.race([
        stopped.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), options.drainTimeoutMs))),
      ])
      clearTimeout(timer)
      clearInterval(sweeper)
      if (!finished) {
        logger.warn({ inflight: options.inflight() }, 'drain timed out; closing remaining connections')
        server.closeAllConnections()
        await stopped
      }
      await runHooks(closeHooks, 'close')
      await options.closeOutbound()
    })()
    return closed
  }

  return {
    get draining() {
      return draining
    },
    drain,
    close,
    shutdown() {
      shuttingDown ??= (async () => {
        drain()
        await new Promise((resolve) => setTimeout(resolve, options.drainDelayMs))
        logger.info({ inflight: options.inflight(), drainTimeoutMs: options.drainTimeoutMs }, 'drain delay over: closing the listener, finishing in-flight work')
        await close()
      })()
      return shuttingDown
    },
    onDrain: (hook) => void drainHooks.push(hook),
    onClose: (hook) => void closeHooks.push(hook),
  }
}
