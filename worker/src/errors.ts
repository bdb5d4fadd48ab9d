// The worker's errors: one base class with a stable code and HTTP status (docs/errors.md).
// The proof errors (PROOF_*) come from proof/ as ProofError and are answered with the same shape.

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'INVALID_ENCODING'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'UNKNOWN_PRODUCT'
  | 'INVALID_EVENT'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'APPLICATION_PENDING'
  | 'TOO_MANY_PENDING'
  | 'DINGTALK_UNAVAILABLE'
  | 'DINGTALK_REJECTED'
  | 'EVENT_NOT_RESOLVED'
  | 'TURNSTILE_REQUIRED'
  | 'TURNSTILE_FAILED'
  | 'TURNSTILE_UNAVAILABLE'
  | 'ACCESS_REQUIRED'
  | 'ACCESS_INVALID'
  | 'ACCESS_FORBIDDEN'
  | 'ACCESS_UNAVAILABLE'
  | 'ROLE_OPERATOR_REQUIRED'
  | 'CROSS_SITE_REFUSED'
  | 'RESEND_NOT_ISSUED'
  | 'RESUBMIT_NOT_ALLOWED'
  | 'WITHDRAW_NOT_ALLOWED'
  | 'WITHDRAW_SUBMIT_IN_FLIGHT'
  | 'WITHDRAW_TOO_LATE'
  | 'WITHDRAW_RETRY_LATER'
  | 'WITHDRAW_NOT_PERMITTED'
  | 'RESEND_LICENSE_REVOKED'
  | 'REISSUE_NOT_ISSUED'
  | 'REISSUE_NOTHING_CHANGED'
  | 'REISSUE_EXPIRED'
  | 'REISSUE_LICENSE_CHANGED'
  | 'LICENSE_REVOKED'
  | 'RENEWAL_INVALID'
  | 'RENEWAL_MISMATCH'
  | 'RENEWAL_EXISTS'
  | 'PICKUP_INVALID'
  | 'PICKUP_EXPIRED'
  | 'PICKUP_USED'
  | 'CONFIG_INVALID'
  | 'INTERNAL_ERROR'

/** Every code the worker's own error classes can produce (the docs test checks each is listed). */
export const ERROR_CODES: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'INVALID_ENCODING',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'NOT_FOUND',
  'UNKNOWN_PRODUCT',
  'INVALID_EVENT',
  'INVALID_IDEMPOTENCY_KEY',
  'IDEMPOTENCY_KEY_REUSED',
  'APPLICATION_PENDING',
  'TOO_MANY_PENDING',
  'DINGTALK_UNAVAILABLE',
  'DINGTALK_REJECTED',
  'EVENT_NOT_RESOLVED',
  'TURNSTILE_REQUIRED',
  'TURNSTILE_FAILED',
  'TURNSTILE_UNAVAILABLE',
  'ACCESS_REQUIRED',
  'ACCESS_INVALID',
  'ACCESS_FORBIDDEN',
  'ACCESS_UNAVAILABLE',
  'ROLE_OPERATOR_REQUIRED',
  'CROSS_SITE_REFUSED',
  'RESEND_NOT_ISSUED',
  'RESUBMIT_NOT_ALLOWED',
  'WITHDRAW_NOT_ALLOWED',
  'WITHDRAW_SUBMIT_IN_FLIGHT',
  'WITHDRAW_TOO_LATE',
  'WITHDRAW_RETRY_LATER',
  'WITHDRAW_NOT_PERMITTED',
  'RESEND_LICENSE_REVOKED',
  'REISSUE_NOT_ISSUED',
  'REISSUE_NOTHING_CHANGED',
  'REISSUE_EXPIRED',
  'REISSUE_LICENSE_CHANGED',
  'LICENSE_REVOKED',
  'RENEWAL_INVALID',
  'RENEWAL_MISMATCH',
  'RENEWAL_EXISTS',
  'PICKUP_INVALID',
  'PICKUP_EXPIRED',
  'PICKUP_USED',
  'CONFIG_INVALID',
  'INTERNAL_ERROR',
]

export type FieldErrors = Record<string, string>

export type ErrorBody = {
  error: { code: string; message: string; fields?: FieldErrors }
  [extra: string]: unknown
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly fields?: FieldErrors
  /** Top-level members added next to `error` in the response (e.g. the saved application's id). */
  extra?: Record<string, unknown>
  /** Response headers the error boundary adds (e.g. `retry-after`). */
  headers?: Record<string, string>

  constructor(code: ErrorCode, status: number, message: string, options?: { cause?: unknown; fields?: FieldErrors }) {
    super(message, { cause: options?.cause })
    this.name = new.target.name
    this.code = code
    this.status = status
    this.fields = options?.fields
  }

  toBody(): ErrorBody {
    const error = { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) }
    return { error, ...this.extra }
  }
}

export class ValidationError extends AppError {
  constructor(fields: FieldErrors) {
    super('VALIDATION_FAILED', 400, 'some fields are missing or invalid', { fields })
  }
}

export class InvalidJsonError extends AppError {
  constructor(message = 'the body must be a JSON object') {
    super('INVALID_JSON', 400, message)
  }
}

export class InvalidEncodingError extends AppError {
  constructor() {
    super('INVALID_ENCODING', 400, 'the body is not valid UTF-8')
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super('UNSUPPORTED_MEDIA_TYPE', 415, 'the body must be sent as application/json')
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', 413, `the body exceeds ${limit} bytes`)
  }
}

export class RateLimitedError extends AppError {
  /** Without `retryAfterSeconds`: the per-IP submission limit (a minute). */
  constructor(retryAfterSeconds?: number) {
    super('RATE_LIMITED', 429, retryAfterSeconds === undefined ? 'too many requests; try again in a minute' : `too many requests; try again in ${retryAfterSeconds} s`)
    if (retryAfterSeconds !== undefined) {
      this.extra = { retryAfterSeconds }
      this.headers = { 'retry-after': String(retryAfterSeconds) }
    }
  }
}

/** The applicant's current license was revoked by an operator: it is neither downloaded nor mailed again. */
export class LicenseRevokedError extends AppError {
  constructor() {
    super('LICENSE_REVOKED', 410, 'this license was revoked and no longer works; contact the vendor\'s support')
  }
}

const RENEWAL_MESSAGES = {
  RENEWAL_INVALID: 'the renewal link is incomplete or wrong; open it again from the reminder email',
  RENEWAL_MISMATCH: 'a renewal keeps the license\'s product and feature code; apply for a new license instead',
  RENEWAL_EXISTS: 'this license already has a renewal, awaiting review or issued',
} as const

/** A renewal (POST /api/applications with `renews`, GET /api/renewals/:licenseId) that cannot be; nothing stored. */
export class RenewalError extends AppError {
  constructor(code: keyof typeof RENEWAL_MESSAGES, existingId?: string) {
    super(code, code === 'RENEWAL_EXISTS' ? 409 : 422, RENEWAL_MESSAGES[code])
    if (existingId) this.extra = { existingId }
  }
}

const TURNSTILE_MESSAGES = {
  TURNSTILE_REQUIRED: 'complete the human check above the submit button',
  TURNSTILE_FAILED: 'the human check expired or failed; complete it again',
  TURNSTILE_UNAVAILABLE: 'the human check cannot be verified right now; try again in a minute',
} as const

/** The apply form's Turnstile check (turnstile.ts): nothing was stored. */
export class TurnstileError extends AppError {
  constructor(code: keyof typeof TURNSTILE_MESSAGES) {
    super(code, code === 'TURNSTILE_UNAVAILABLE' ? 503 : 400, TURNSTILE_MESSAGES[code])
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'not found') {
    super('NOT_FOUND', 404, message)
  }
}

export class UnknownProductError extends AppError {
  constructor() {
    super('UNKNOWN_PRODUCT', 404, 'no such product')
  }
}

export class InvalidEventError extends AppError {
  constructor(message: string) {
    super('INVALID_EVENT', 400, message)
  }
}

export class InvalidIdempotencyKeyError extends AppError {
  constructor() {
    super('INVALID_IDEMPOTENCY_KEY', 400, 'Idempotency-Key must be 1-128 characters of A-Z, a-z, 0-9, _ and -')
  }
}

/** The key was used within 24 h for a different request body. */
export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 409, 'this Idempotency-Key was already used for a different request')
  }
}

/**
 * A request for this machine (feature code and product) from another email is already awaiting
 * review; nothing is stored. Carries that application's id only, never its status link.
 */
export class ApplicationPendingError extends AppError {
  constructor(existingId: string) {
    super('APPLICATION_PENDING', 409, 'a request for this machine is already awaiting review')
    this.extra = { existingId }
  }
}

/** This email already has PENDING_PER_EMAIL applications awaiting review; nothing is stored. */
export class TooManyPendingError extends AppError {
  constructor(limit: number) {
    super('TOO_MANY_PENDING', 429, `this email already has ${limit} ${limit === 1 ? 'request' : 'requests'} awaiting review; wait for a decision first`)
  }
}

/** The proxy or DingTalk could not be reached (network, timeout, 5xx, throttling). Retryable. */
export class DingTalkUnavailableError extends AppError {
  readonly upstreamCode?: string
  constructor(message: string, options?: { cause?: unknown; upstreamCode?: string }) {
    super('DINGTALK_UNAVAILABLE', 503, message, options)
    this.upstreamCode = options?.upstreamCode
  }
}

/** No egress proxy relayed the call (down, draining, refusing the proof, no token): nothing reached DingTalk. */
export class EgressUnavailableError extends DingTalkUnavailableError {}

/** A create was sent and its answer lost (timeout, reset): DingTalk may hold the instance. Never re-sent blindly. */
export class DingTalkOutcomeUnknownError extends DingTalkUnavailableError {}

/** An event for an instance the worker does not know, and DingTalk cannot be asked now: redeliver later. */
export class EventNotResolvedError extends AppError {
  constructor(message = 'the event names an instance that cannot be resolved now; deliver it again later', options?: { cause?: unknown }) {
    super('EVENT_NOT_RESOLVED', 503, message, options)
  }
}

/** DingTalk (or the proxy) answered a 4xx business error, e.g. `processCodeError`. */
export class DingTalkRejectedError extends AppError {
  readonly upstreamCode: string
  readonly upstreamStatus: number
  constructor(upstreamStatus: number, upstreamCode: string, message: string) {
    super('DINGTALK_REJECTED', 502, message)
    this.upstreamCode = upstreamCode
    this.upstreamStatus = upstreamStatus
  }
}

const ACCESS_MESSAGES = {
  ACCESS_REQUIRED: 'sign in through Cloudflare Access first',
  ACCESS_INVALID: 'the Access token is not valid; sign in again',
  ACCESS_FORBIDDEN: 'this Access identity is not on the console staff',
  ACCESS_UNAVAILABLE: 'Cloudflare Access cannot be reached now; try again in a minute',
} as const

/**
 * The operator console's door (access.ts): no Access token, a token that does not verify, a
 * verified identity that is neither operator nor viewer, or Access's keys out of reach.
 */
export class AccessError extends AppError {
  /** Why, for the log only (a jose code or claim); never sent. */
  readonly reason?: string
  constructor(code: keyof typeof ACCESS_MESSAGES, options?: { reason?: string; cause?: unknown }) {
    const status = code === 'ACCESS_FORBIDDEN' ? 403 : code === 'ACCESS_UNAVAILABLE' ? 503 : 401
    super(code, status, ACCESS_MESSAGES[code], { cause: options?.cause })
    this.reason = options?.reason
  }
}

/** A viewer attempted one of the console's actions. */
export class OperatorRequiredError extends AppError {
  constructor() {
    super('ROLE_OPERATOR_REQUIRED', 403, 'only operators may do this; viewers can look, not act')
  }
}

/** A state-changing console request whose `Origin` is missing or not the console's own. */
export class CrossSiteError extends AppError {
  constructor() {
    super('CROSS_SITE_REFUSED', 403, 'this request must come from the console page itself')
  }
}

const ACTION_MESSAGES = {
  RESEND_NOT_ISSUED: 'this application has no issued license to send again',
  RESUBMIT_NOT_ALLOWED: 'only a failed application, or one still waiting to be submitted, can be submitted again',
  WITHDRAW_NOT_ALLOWED: 'this application was already decided or withdrawn',
  WITHDRAW_SUBMIT_IN_FLIGHT: 'this application is being submitted to DingTalk, or its last create may have reached it; try again once it is awaiting approval',
  WITHDRAW_TOO_LATE: 'DingTalk has already decided this application; the decision is being recorded',
  RESEND_LICENSE_REVOKED: "this application's license is revoked; reissue it instead of sending it again",
  REISSUE_NOT_ISSUED: 'this application has no license to reissue',
  REISSUE_NOTHING_CHANGED: 'a reissue needs a corrected feature code or quantity; the terms given are those of the current license',
  REISSUE_EXPIRED: 'the current license has expired; a renewal is a new application, not a reissue',
  REISSUE_LICENSE_CHANGED: 'the license was reissued meanwhile; reload the application and try again',
} as const

/** The refusals that are about the request's content rather than the application's state. */
const UNPROCESSABLE: ReadonlySet<string> = new Set(['REISSUE_NOTHING_CHANGED'])

/** A console action the application's state does not allow (docs/console.md, "Actions"); nothing changed. */
export class ActionRefusedError extends AppError {
  constructor(code: keyof typeof ACTION_MESSAGES, status: string) {
    super(code, UNPROCESSABLE.has(code) ? 422 : 409, ACTION_MESSAGES[code])
    this.extra = { status }
  }
}

/** DingTalk refuses to terminate an instance this young (15 s after the create, dingtalk.md §3.3); nothing changed. */
export class WithdrawRetryLaterError extends AppError {
  constructor(status: string, retryAfterSeconds: number) {
    super('WITHDRAW_RETRY_LATER', 409, `DingTalk does not withdraw an approval this soon after it was created; try again in ${retryAfterSeconds} s`)
    this.extra = { status, retryAfterSeconds }
    this.headers = { 'retry-after': String(retryAfterSeconds) }
  }
}

/** DingTalk's template does not let the originator withdraw (internalError, 820008); nothing changed. */
export class WithdrawNotPermittedError extends AppError {
  readonly upstreamCode: string
  constructor(upstreamCode: string) {
    super(
      'WITHDRAW_NOT_PERMITTED',
      502,
      'DingTalk does not let the originator withdraw approvals of this template: enable 允许提交人撤销审批中的审批单 in its advanced settings, or withdraw it in DingTalk',
    )
    this.upstreamCode = upstreamCode
  }
}

const PICKUP_MESSAGES = {
  PICKUP_INVALID: 'this link\'s pickup code is unknown, or not for this product and feature code; scan the product\'s QR code again',
  PICKUP_EXPIRED: 'this link\'s pickup code has expired; show a new QR code on the product and scan it again',
  PICKUP_USED: 'this link\'s pickup code was already used for another application; show a new QR code on the product',
} as const

/** The same refusals for a code typed on the pickup page (POST /api/pickups/lookup). */
const PICKUP_CODE_MESSAGES = {
  PICKUP_INVALID: 'no product is waiting with this code; check the letters the product shows beside its QR code',
  PICKUP_EXPIRED: 'this code has expired; show a new code on the product',
  PICKUP_USED: 'this code was already used for an application; show a new code on the product',
} as const

/**
 * The application names a pickup (docs/pickup.md) it cannot be bound to, nothing stored; or
 * (`typed`) a code entered on the pickup page leads nowhere.
 */
export class PickupError extends AppError {
  constructor(code: keyof typeof PICKUP_MESSAGES, typed = false) {
    super(code, code === 'PICKUP_INVALID' ? 422 : code === 'PICKUP_EXPIRED' ? 410 : 409, (typed ? PICKUP_CODE_MESSAGES : PICKUP_MESSAGES)[code])
  }
}

/** A variable or secret is missing or malformed. The message names the variable, never its value. */
export class ConfigError extends AppError {
  readonly variable: string
  constructor(variable: string, problem: string) {
    super('CONFIG_INVALID', 500, `${variable}: ${problem}`)
    this.variable = variable
  }
}
