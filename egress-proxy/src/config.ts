// The proxy's configuration: read once from the environment, checked, keys imported, frozen.
// Errors name the variable and never echo its value (most of them are secrets).
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { hostname } from 'node:os'
import { importPublicKeys, importSigningKey, type PublicKeySet, type SigningKey } from '../../proof/src/index.ts'
import { CallbackCryptoError, DingTalkCrypto } from './dingtalk-crypto.ts'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export type EventsMode = 'stream' | 'http'

export type ProxyConfig = Readonly<{
  port: number
  host: string
  /** Names this instance in `x-licensedesk-proxy`, readiness and the worker's `proxies` table. */
  proxyId: string
  /** Which channel brings DingTalk's events: the Stream connection or HTTP push. */
  events: EventsMode
  /** After SIGTERM: keep listening (and answering 503 PROXY_DRAINING) this long. */
  drainDelayMs: number
  /** Then: finish in-flight work for at most this long after the listener closes. */
  drainTimeoutMs: number
  /** Relay: how long DingTalk may take to answer once the call is sent. */
  upstreamTimeoutMs: number
  /** How often the proxy runs its readiness checks by itself, so the worker hears from it (its heartbeat). */
  heartbeatMs: number
  workerUrl: URL
  workerKeys: PublicKeySet
  proxyKey: SigningKey
  dingtalk: Readonly<{
    appKey: string
    appSecret: string
    callbackToken: string
    callbackAesKey: string
    ownerKey: string
    apiBase: URL
    oapiBase: URL
    /** The one approval process the relay serves: creates and instance queries must name it. */
    processCode: string
    /** The worker's originator: an instance GET is answered only for instances it started. */
    originatorUserId: string
    /** The form field carrying the application number (the worker's `applicationId` label). */
    applicationField: string
  }>
  egressLocalAddress: string | undefined
  /** STREAM_SILENCE_MS: no Stream frame for this long means a dead (zombie) connection. */
  streamSilenceMs: number
  logLevel: LogLevel
  logPretty: boolean
}>

export type Env = Record<string, string | undefined>

/** The same as EventsMode (the Stream client's name for it). */
export type EventsChannel = EventsMode

export class ConfigError extends Error {
  readonly variable: string
  readonly reason: string

  constructor(variable: string, reason: string) {
    super(`${variable}: ${reason}`)
    this.name = 'ConfigError'
    this.variable = variable
    this.reason = reason
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value ? value : undefined
}

function required(env: Env, name: string): string {
  const value = optional(env, name)
  if (value === undefined) throw new ConfigError(name, 'is required')
  return value
}

function port(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value > 65535) throw new ConfigError(name, 'must be a port number (0-65535)')
  return value
}

function baseUrl(env: Env, name: string, fallback?: string): URL {
  const raw = fallback === undefined ? required(env, name) : (optional(env, name) ?? fallback)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(name, 'is not a valid URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL')
  if (url.username || url.password) throw new ConfigError(name, 'must not carry credentials')
  if (url.search || url.hash) throw new ConfigError(name, 'must not carry a query or fragment')
  return url
}

function milliseconds(env: Env, name: string, fallback: number, max = 600_000): number {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value > max) throw new ConfigError(name, `must be milliseconds within 0..${max}`)
  return value
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const value = (optional(env, name) ?? fallback).toLowerCase() as T
  if (!values.includes(value)) throw new ConfigError(name, `must be one of ${values.join(', ')}`)
  return value
}

const PROXY_ID = /^[A-Za-z0-9._-]{1,64}$/

function proxyId(env: Env): string {
  const value = optional(env, 'PROXY_ID') ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 50)}-${randomBytes(3).toString('hex')}`
  if (!PROXY_ID.test(value)) throw new ConfigError('PROXY_ID', 'must be 1-64 letters, digits, dots, dashes or underscores')
  return value
}

function noWhitespace(env: Env, name: string): string {
  const value = required(env, name)
  if (/\s/.test(value)) throw new ConfigError(name, 'must not contain whitespace')
  return value
}

async function keyOf<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    if (error instanceof ConfigError) throw error
    // jose/proof messages describe the shape (not the value), e.g. "has no private part (d)".
    const reason = error instanceof TypeError ? error.message.replace(/^key:?\s*/, '') : 'cannot be imported'
    throw new ConfigError(name, reason)
  }
}

/** Reads and checks the environment; imports the keys. Throws ConfigError naming the variable. */
export async function loadConfig(env: Env): Promise<ProxyConfig> {
  const appKey = required(env, 'DINGTALK_APP_KEY')
  const callbackAesKey = required(env, 'DINGTALK_CALLBACK_AES_KEY')
  const callbackToken = noWhitespace(env, 'DINGTALK_CALLBACK_TOKEN')
  const ownerKey = optional(env, 'DINGTALK_OWNER_KEY') ?? appKey
  try {
    new DingTalkCrypto({ token: callbackToken, aesKey: callbackAesKey, ownerKey })
  } catch (error) {
    if (error instanceof CallbackCryptoError) throw new ConfigError('DINGTALK_CALLBACK_AES_KEY', 'must be 43 letters or digits')
    throw error
  }

  const egressLocalAddress = optional(env, 'EGRESS_LOCAL_ADDRESS')
  if (egressLocalAddress !== undefined && isIP(egressLocalAddress) === 0) {
    throw new ConfigError('EGRESS_LOCAL_ADDRESS', 'must be an IPv4 or IPv6 address')
  }
  const logLevel = (optional(env, 'LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`)
  const pretty = (optional(env, 'LOG_PRETTY') ?? '0').toLowerCase()
  if (!['0', '1', 'true', 'false'].includes(pretty)) throw new ConfigError('LOG_PRETTY', 'must be 1 or 0')

  const silenceRaw = optional(env, 'STREAM_SILENCE_MS') ?? '60000'
  if (!/^\d+$/.test(silenceRaw) || Number(silenceRaw) < 100) throw new ConfigError('STREAM_SILENCE_MS', 'must be a whole number of milliseconds, at least 100')

  const config: ProxyConfig = {
    port: port(env, 'PORT', 8788),
    host: optional(env, 'HOST') ?? '0.0.0.0',
    proxyId: proxyId(env),
    events: oneOf(env, 'DINGTALK_EVENTS', ['stream', 'http'] as const, 'stream'),
    drainDelayMs: milliseconds(env, 'DRAIN_DELAY_MS', 15_000),
    drainTimeoutMs: milliseconds(env, 'DRAIN_TIMEOUT_MS', 15_000),
    upstreamTimeoutMs: milliseconds(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 60_000),
    heartbeatMs: milliseconds(env, 'HEARTBEAT_MS', 15_000),
    workerUrl: baseUrl(env, 'WORKER_URL'),
    workerKeys: await keyOf('WORKER_PUBLIC_JWK', () => importPublicKeys(required(env, 'WORKER_PUBLIC_JWK'), 'key')),
    proxyKey: await keyOf('PROXY_PRIVATE_JWK', () => importSigningKey(required(env, 'PROXY_PRIVATE_JWK'), 'key')),
    dingtalk: Object.freeze({
      appKey,
      appSecret: required(env, 'DINGTALK_APP_SECRET'),
      callbackToken,
      callbackAesKey,
      ownerKey,
      apiBase: baseUrl(env, 'DINGTALK_API_BASE', 'https://api.dingtalk.com'),
      oapiBase: baseUrl(env, 'DINGTALK_OAPI_BASE', 'https://oapi.dingtalk.com'),
      processCode: required(env, 'DINGTALK_PROCESS_CODE'),
      originatorUserId: required(env, 'DINGTALK_ORIGINATOR_USER_ID'),
      applicationField: optional(env, 'DINGTALK_APPLICATION_FIELD') ?? '申请编号',
    }),
    egressLocalAddress,
    streamSilenceMs: Number(silenceRaw),
    logLevel,
    logPretty: pretty === '1' || pretty === 'true',
  }
  return Object.freeze(config)
}
