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
  | 'NOT_READY'
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
  'NOT_READY',
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

export class TokenUnavailableError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOKEN_UNAVAILABLE', 502, message, options)
  }
}

export class UpstreamUnreachableError extends ProxyError {
  constructor(options?: { cause?: unknown }) {
    super('UPSTREAM_UNREACHABLE', 502, 'DingTalk cannot be reached', options)
  }
}

export class UpstreamTimeoutError extends ProxyError {
  constructor(options?: { cause?: unknown }) {
    super('UPSTREAM_TIMEOUT', 504, 'DingTalk did not answer in time', options)
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

export type ErrorBody = { error: { code: string; message: string } }

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } }
}
