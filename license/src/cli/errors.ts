// Failures of the license CLI itself (before any license verdict) and the documented exit codes
// (docs/license-cli.md): 0 ok, 1 usage/input, 2 format, 3 key/signature, 4 not ours, 5 time,
// 6 revoked.
import type { LicenseErrorCode } from '../errors.ts'

/** A revocation list that cannot be used is an input of the check, not a verdict: exit 1. */
export type CliErrorCode =
  | 'USAGE_ERROR'
  | 'INPUT_ERROR'
  | Extract<LicenseErrorCode, 'BAD_REVOCATION_LIST' | 'STALE_REVOCATION_LIST'>

export class CliError extends Error {
  readonly code: CliErrorCode

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CliError'
    this.code = code
  }
}

export const EXIT = {
  OK: 0,
  USAGE_OR_INPUT: 1,
  FORMAT: 2,
  KEY: 3,
  MISMATCH: 4,
  TIME: 5,
  REVOKED: 6,
} as const

export const EXIT_BY_LICENSE_CODE: Readonly<Record<LicenseErrorCode, number>> = {
  BAD_ARMOR: EXIT.FORMAT,
  UNSUPPORTED_VERSION: EXIT.FORMAT,
  UNKNOWN_KEY: EXIT.KEY,
  BAD_SIGNATURE: EXIT.KEY,
  WRONG_PRODUCT: EXIT.MISMATCH,
  WRONG_FEATURE_CODE: EXIT.MISMATCH,
  CLOCK_ROLLBACK: EXIT.TIME,
  NOT_YET_VALID: EXIT.TIME,
  EXPIRED: EXIT.TIME,
  REVOKED: EXIT.REVOKED,
  BAD_REVOCATION_LIST: EXIT.USAGE_OR_INPUT,
  STALE_REVOCATION_LIST: EXIT.USAGE_OR_INPUT,
}
