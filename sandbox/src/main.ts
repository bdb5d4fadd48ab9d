// `npm run sandbox`: reads the environment (docs/sandbox.md), builds the sandbox and listens.
import pino from 'pino'
import { readSandboxConfig } from './config.ts'
import { buildSandbox } from './sandbox.ts'

const logger = pino({ name: 'sandbox', level: process.env.LOG_LEVEL ?? 'info' })
let config
try {
  config = readSandboxConfig(process.env)
} catch (error) {
  logger.fatal((error as Error).message)
  process.exit(1)
}

const sandbox = buildSandbox({ config, logger })
sandbox.server.on('error', (error) => {
  logger.fatal({ err: error }, `sandbox cannot listen on ${config.host}:${config.port}`)
  process.exit(1)
})
sandbox.server.listen(config.port, config.host, () => {
  const { dingtalk, push } = config
  logger.info(
    { url: config.publicUrl, events: config.events, streamMode: config.stream.mode, pushUrl: push.url ?? null, allowedIps: dingtalk.allowedIps, retryDelays: push.retryDelays, mailRateLimit: config.mail.rateLimit },
    `sandbox listening on http://${config.host}:${config.port}`,
  )
})

const door = config.access.frontDoor
if (sandbox.frontDoor && door) {
  sandbox.frontDoor.on('error', (error) => {
    logger.fatal({ err: error }, `the Access front door cannot listen on ${config.host}:${door.port}`)
    process.exit(1)
  })
  sandbox.frontDoor.listen(door.port, config.host, () => {
    logger.info({ url: door.publicUrl, upstream: door.upstream }, `Access front door listening on http://${config.host}:${door.port}`)
  })
}

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'sandbox stopping')
    sandbox.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'sandbox did not stop cleanly')
        process.exit(1)
      },
    )
  })
}
