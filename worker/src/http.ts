// Per-request plumbing: request id and logger, config loading, and the one error boundary that
// turns every failure into `{ "error": { "code", "message", "fields"? } }`.
import type { Context, MiddlewareHandler } from 'hono'
import { ProofError, REQUEST_ID_HEADER } from '../../proof/src/index.ts'
import { loadConfig } from './config.ts'
import type { AppEnv } from './env.ts'
import { AppError, ConfigError } from './errors.ts'
import { createLogger, errorFields, logLevelOf } from './log.ts'

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Takes the caller's X-Request-Id when it looks sane (the proxy sends one), else makes one. */
export const requestContext = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const incoming = c.req.header(REQUEST_ID_HEADER)
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
  const log = createLogger({ requestId }, { level: logLevelOf(c.env.LOG_LEVEL) })
  c.set('requestId', requestId)
  c.set('log', log)
  const started = Date.now()
  await next()
  c.header(REQUEST_ID_HEADER, requestId)
  log.info('request', { method: c.req.method, path: c.req.path, status: c.res.status, ms: Date.now() - started })
}

export const withConfig = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  c.set('config', await loadConfig(c.env))
  await next()
}

export function errorResponse(err: unknown, c: Context<AppEnv>): Response {
  const log = c.get('log') ?? createLogger()
  if (err instanceof ConfigError) {
    // The variable's name goes to the log only; its value goes nowhere.
    log.error('configuration invalid', { variable: err.variable, problem: err.message })
    return c.json({ error: { code: err.code, message: 'the service is misconfigured' } }, 500)
  }
  if (err instanceof AppError) {
    if (err.status >= 500) log.warn('request failed', { code: err.code, message: err.message })
    return c.json(err.toBody(), err.status as 400, err.headers)
  }
  if (err instanceof ProofError) {
    log.warn('proof rejected', { code: err.code })
    return c.json({ error: { code: err.code, message: err.message } }, 401)
  }
  log.error('unexpected error', errorFields(err))
  return c.json({ error: { code: 'INTERNAL_ERROR', message: 'internal error' } }, 500)
}
