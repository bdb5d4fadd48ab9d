// Structured JSON logs, one line per call, with levels and redaction. Callers never mean to pass
// tokens, keys, JWKs or proofs; as a safety net every field named in SECRET_FIELD_NAMES (shared
// with the proxy's pino redaction) is censored at any depth, and so is any string that looks like
// a compact JWS (proofs, licenses) or a private JWK.
import { REDACTED, SECRET_FIELD_NAMES } from '../../proof/src/secret-names.ts'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>

export type Logger = {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(fields: LogFields): Logger
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const SECRET_NAMES = new Set<string>(SECRET_FIELD_NAMES.map((name) => name.toLowerCase()))
// A compact JWS (header.payload.signature, base64url) or a JWK's private part inside a string.
const JWS = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,}/g
const PRIVATE_JWK = /"d"\s*:\s*"[A-Za-z0-9_-]+"/g
const MAX_DEPTH = 8

/** A copy of `value` with every secret censored (pure; exported for tests). */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWS, REDACTED).replace(PRIVATE_JWK, `"d":"${REDACTED}"`)
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_DEPTH) return '[Truncated]'
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_NAMES.has(key.toLowerCase()) ? REDACTED : redact(item, depth + 1)
  return out
}

/** `LOG_LEVEL` as configured, `info` when unset or not a level. */
export function logLevelOf(raw: string | undefined): LogLevel {
  const level = raw?.trim().toLowerCase() as LogLevel | undefined
  return level && LOG_LEVELS.includes(level) ? level : 'info'
}

/** Turns an unknown thrown value into loggable fields (name, message, stack). */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) return { err: { name: err.name, message: err.message, stack: err.stack } }
  return { err: String(err) }
}

export type CreateLoggerOptions = { level?: LogLevel }

export function createLogger(base: LogFields = {}, options: CreateLoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? 'info']
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < threshold) return
    const line = JSON.stringify(redact({ level, time: new Date().toISOString(), msg, ...base, ...fields }))
    if (level === 'error') console.error(line)
    else if (level === 'warn') console.warn(line)
    else console.log(line)
  }
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ ...base, ...fields }, options),
  }
}
