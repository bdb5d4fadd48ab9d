// Entry point of the egress proxy (`npm run proxy`, and the image's CMD): reads the environment once,
// builds the server, listens. SIGTERM: drain as a load balancer can follow (report draining, keep
// listening DRAIN_DELAY_MS, finish in-flight work), exit 0. SIGINT (Ctrl-C): the same without the delay.
import { buildServer } from './server.ts'
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { streamFromConfig } from './stream/from-config.ts'

async function main(): Promise<void> {
  let config
  let logger
  try {
    config = await loadConfig(process.env)
    logger = createLogger(config)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`config error: ${error.variable}: ${error.reason}\n`)
      process.exit(1)
    }
    throw error
  }

  // DINGTALK_EVENTS=stream: the outbound Stream connection replaces the inbound HTTP push
  const stream = streamFromConfig(config, logger)
  const app = buildServer({ config, logger, eventsCheck: stream?.status })
  // Closed at the end of the drain, once the server's in-flight requests (and events) are done.
  if (stream) app.onClose(() => stream.close())
  const address = await app.listen()
  logger.info(
    { address: address.address, port: address.port, egressLocalAddress: config.egressLocalAddress ?? null, proxyId: config.proxyId, events: config.events },
    'egress proxy listening',
  )
  stream?.start()
  // The proxy's heartbeat: its readiness checks, run by itself, include the signed round trip the
  // worker records (and which makes it submit what waited for a ready proxy). Also on draining, so
  // the worker sees it go.
  if (config.heartbeatMs > 0) {
    const beat = () => void app.checkReadiness().catch(() => undefined)
    const heartbeat = setInterval(beat, config.heartbeatMs)
    heartbeat.unref()
    setTimeout(beat, 1_000).unref()
    app.onDrain(() => clearInterval(heartbeat))
  }

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down: draining')
    ;(signal === 'SIGTERM' ? app.shutdown() : app.close()).then(
      () => {
        logger.info('stopped')
        logger.flush()
        process.exit(0)
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        logger.flush()
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception')
    logger.flush()
    process.exit(1)
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`egress proxy failed to start: ${(error as Error)?.message ?? error}\n`)
  process.exit(1)
})
