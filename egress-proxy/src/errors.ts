// Errors the egress proxy answers: one class per code, one wire shape `{ error: { code, message } }`.
// Every code here (and the proof codes) is listed in docs/errors.md; a test keeps them in step.
import { PROOF_ERROR_CODES, type ProofErrorCode } from '../../proof/src/index.ts'
import type { CallbackCryptoErrorCode } from './dingtalk-crypto.ts'

export type ProxyErrorCode =
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_ALLOWED'
  | 'TOKEN_UNAVAILABLE'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'CALLBACK_BAD_REQUEST'
  | 'CALLBACK_BAD_EVENT'
  | Exclude<CallbackCryptoErrorCode, 'CALLBACK_BAD_AES_KEY'>
  | 'WORKER_UNAVAILABLE'
  | 'PROXY_DRAINING'
  | 'INTERNAL_ERROR'

/** Every code the proxy can put on the wire, proof codes included. */
export const PROXY_ERROR_CODES: readonly (ProxyErrorCode | ProofErrorCode)[] = [
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'NOT_ALLOWED',
  'TOKEN_UNAVAILABLE',
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TIMEOUT',
  'CALLBACK_BAD_REQUEST',
  'CALLBACK_BAD_SIGNATURE',
  'CALLBACK_DECRYPT_FAILED',
  'CALLBACK_BAD_LENGTH',
  'CALLBACK_OWNER_MISMATCH',
  'CALLBACK_BAD_EVENT',
  'WORKER_UNAVAILABLE',
  'PROXY_DRAINING',
  'INTERNAL_ERROR',
  ...PROOF_ERROR_CODES,
]

export class ProxyError extends Error {
  readonly code: ProxyErrorCode
  readonly status: number
  /** Set once a handler has logged it with its own context, so the boundary does not log it twice. */
  logged = false

  constructor(code: ProxyErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ProxyError'
    this.code = code
    this.status = status
  }
}

export class NotFoundError extends ProxyError {
  constructor() {
    super('NOT_FOUND', 404, 'no such route')
  }
}

export class MethodNotAllowedError extends ProxyError {
  readonly allow: string

  constructor(allow: string) {
    super('METHOD_NOT_ALLOWED', 405, `this route accepts ${allow}`)
    this.allow = allow
  }
}

export class PayloadTooLargeError extends ProxyError {
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', 413, `the body exceeds ${limit} bytes`)
  }
}

export class NotAllowedError extends ProxyError {
  /** Why, for the log only: the client learns nothing beyond NOT_ALLOWED. */
  readonly reason: string

  constructor(reason: string) {
    super('NOT_ALLOWED', 403, 'this call is not allowed through the proxy')
    this.reason = reason
  }
}

/** Why no token could be had, as readiness names it (docs/errors.md, "Readiness checks"). */
export type TokenFault = 'IP_NOT_WHITELISTED' | 'DINGTALK_CREDENTIALS_INVALID' | 'DINGTALK_UNREACHABLE' | 'TOKEN_UNAVAILABLE'

/** 503: no token means nothing was sent upstream, so the worker may retry through any proxy. */
export class TokenUnavailableError extends ProxyError {
  readonly fault: TokenFault

  constructor(message: string, options?: { cause?: unknown; fault?: TokenFault }) {
    super('TOKEN_UNAVAILABLE', 503, message, options)
    this.fault = options?.fault ?? 'TOKEN_UNAVAILABLE'
  }
}

/** 502: the connection to DingTalk could not be made, so nothing was sent (safe to retry). */
export class UpstreamUnreachableError extends ProxyError {
  constructor(options?: { cause?: unknown }) {
    super('UPSTREAM_UNREACHABLE', 502, 'DingTalk cannot be reached; nothing was sent', options)
  }
}

/** 504: the call was sent and no (complete) answer came: DingTalk may or may not have acted on it. */
export class UpstreamTimeoutError extends ProxyError {
  constructor(message = 'DingTalk did not answer in time; the outcome is unknown', options?: { cause?: unknown }) {
    super('UPSTREAM_TIMEOUT', 504, message, options)
  }
}

/** 503 while the proxy drains after SIGTERM: not relayed, try another proxy (`retry-after: 1`). */
export class ProxyDrainingError extends ProxyError {
  constructor() {
    super('PROXY_DRAINING', 503, 'this proxy is shutting down; nothing was relayed, use another one')
  }
}

export class CallbackError extends ProxyError {
  constructor(code: Extract<ProxyErrorCode, `CALLBACK_${string}`>, status: number, message: string, options?: { cause?: unknown }) {
    super(code, status, message, options)
  }
}

export class WorkerUnavailableError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WORKER_UNAVAILABLE', 503, message, options)
  }
}

/** Stable codes of `/readyz` checks (signed callers only; docs/errors.md, "Readiness checks"). */
export const READINESS_CODES = [
  'IP_NOT_WHITELISTED',
  'DINGTALK_CREDENTIALS_INVALID',
  'DINGTALK_UNREACHABLE',
  'TOKEN_UNAVAILABLE',
  'WORKER_UNREACHABLE',
  'WORKER_NOT_LICENSEDESK',
  'PROXY_KEY_UNKNOWN_TO_WORKER',
  'WORKER_KEY_MISMATCH',
  'STREAM_DISCONNECTED',
  'CALLBACK_CONFIG_INVALID',
  'PROXY_DRAINING',
] as const
export type ReadinessCode = (typeof READINESS_CODES)[number]

export type ErrorBody = { error: { code: string; message: string } }

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } }
}
