// Errors of the sandbox's own surface (config, control API). DingTalk and Resend answers use their
// own wire shapes (dingtalk-errors.ts, mail-errors.ts); these use the house shape
// `{ "error": { "code", "message" } }`, and every code is listed in docs/sandbox.md.

export type SandboxErrorCode =
  | 'SANDBOX_CONFIG_INVALID'
  | 'SANDBOX_NOT_FOUND'
  | 'SANDBOX_BAD_REQUEST'
  | 'SANDBOX_INSTANCE_NOT_RUNNING'
  | 'SANDBOX_NO_EVENT'
  | 'SANDBOX_CROSS_SITE'
  | 'SANDBOX_ACCESS_LOGIN_REQUIRED'
  | 'SANDBOX_ACCESS_UPSTREAM'
  | 'SANDBOX_INTERNAL'

export const SANDBOX_ERROR_CODES: readonly SandboxErrorCode[] = [
  'SANDBOX_CONFIG_INVALID',
  'SANDBOX_NOT_FOUND',
  'SANDBOX_BAD_REQUEST',
  'SANDBOX_INSTANCE_NOT_RUNNING',
  'SANDBOX_NO_EVENT',
  'SANDBOX_CROSS_SITE',
  'SANDBOX_ACCESS_LOGIN_REQUIRED',
  'SANDBOX_ACCESS_UPSTREAM',
  'SANDBOX_INTERNAL',
]

const STATUS: Record<SandboxErrorCode, number> = {
  SANDBOX_CONFIG_INVALID: 500,
  SANDBOX_NOT_FOUND: 404,
  SANDBOX_BAD_REQUEST: 400,
  SANDBOX_INSTANCE_NOT_RUNNING: 409,
  SANDBOX_NO_EVENT: 409,
  SANDBOX_CROSS_SITE: 403,
  SANDBOX_ACCESS_LOGIN_REQUIRED: 401,
  SANDBOX_ACCESS_UPSTREAM: 502,
  SANDBOX_INTERNAL: 500,
}

export class SandboxError extends Error {
  readonly code: SandboxErrorCode
  readonly status: number

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SandboxError'
    this.code = code
    this.status = STATUS[code]
  }
}

/** A bad or missing setting, named by its environment variable; thrown at boot. */
export class SandboxConfigError extends SandboxError {
  readonly variable: string

  constructor(variable: string, message: string) {
    super('SANDBOX_CONFIG_INVALID', `${variable}: ${message}`)
    this.name = 'SandboxConfigError'
    this.variable = variable
  }
}
