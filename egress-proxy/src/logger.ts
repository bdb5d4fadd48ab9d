// pino logger for the proxy: JSON to stdout, secrets redacted, pretty only when LOG_PRETTY=1.
import { createRequire } from 'node:module'
import { pino, type DestinationStream, type Logger } from 'pino'
import type { ProxyConfig } from './config.ts'
import { ConfigError } from './config.ts'

/** Paths pino censors wherever a log object carries them (a safety net: code logs none of these). */
export const REDACT_PATHS = [
  'headers.authorization',
  'headers.proof',
  'headers.cookie',
  'headers["x-acs-dingtalk-access-token"]',
  '*.headers.authorization',
  '*.headers.proof',
  '*.headers.cookie',
  '*.headers["x-acs-dingtalk-access-token"]',
  'authorization',
  'proof',
  'appSecret',
  'accessToken',
  'access_token',
  'token',
  'aesKey',
  'encrypt',
  'privateJwk',
  'ticket',
  'clientSecret',
  '*.authorization',
  '*.proof',
  '*.appSecret',
  '*.accessToken',
  '*.access_token',
  '*.token',
  '*.aesKey',
  '*.encrypt',
  '*.privateJwk',
  '*.ticket',
  '*.clientSecret',
]

export type CreateLoggerOptions = {
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to inspect the output. */
  destination?: DestinationStream
}

export function createLogger(config: Pick<ProxyConfig, 'logLevel' | 'logPretty'>, options: CreateLoggerOptions = {}): Logger {
  const base = {
    level: config.logLevel,
    base: { service: 'egress-proxy' },
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (config.logPretty && !options.destination) {
    // pino-pretty is a dev dependency: absent from the production image, so say so at boot.
    try {
      createRequire(import.meta.url).resolve('pino-pretty')
    } catch {
      throw new ConfigError('LOG_PRETTY', 'needs pino-pretty, which is not installed (a dev dependency)')
    }
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } })
  }
  return options.destination ? pino(base, options.destination) : pino(base)
}

/** Masks the value of any `access_token` query parameter in a request target before it is logged. */
export function loggableUrl(url: string | undefined): string {
  return (url ?? '').replace(/([?&][^=&#]*access[_%][^=&#]*=)[^&#]*/gi, '$1[Redacted]')
}
