// Errors of the license toolkit: a verdict code for each way a license can fail to verify, two for
// a revocation list that cannot be used (stable, listed in docs/errors.md) and one code for terms
// an issuer must not sign.

export type LicenseErrorCode =
  | 'BAD_ARMOR'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_KEY'
  | 'UNSUPPORTED_VERSION'
  | 'REVOKED'
  | 'WRONG_PRODUCT'
  | 'WRONG_FEATURE_CODE'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'CLOCK_ROLLBACK'
  | 'BAD_REVOCATION_LIST'
  | 'STALE_REVOCATION_LIST'

/**
 * The verdicts in the order a verifier checks them (docs/license-format.md, "Verifying"), then the
 * codes of a revocation list that verifyRevocationList refuses (checked before it is used).
 */
export const LICENSE_ERROR_CODES: readonly LicenseErrorCode[] = [
  'BAD_ARMOR',
  'UNKNOWN_KEY',
  'BAD_SIGNATURE',
  'UNSUPPORTED_VERSION',
  'REVOKED',
  'WRONG_PRODUCT',
  'WRONG_FEATURE_CODE',
  'CLOCK_ROLLBACK',
  'NOT_YET_VALID',
  'EXPIRED',
  'BAD_REVOCATION_LIST',
  'STALE_REVOCATION_LIST',
]

export class LicenseError extends Error {
  readonly code: LicenseErrorCode

  constructor(code: LicenseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LicenseError'
    this.code = code
  }
}

/** Why one term was refused, per field (`fc`, `qty`, `cust.email`, …). */
export type TermsFieldProblem =
  | 'MISSING'
  | 'INVALID'
  | 'TOO_LONG'
  | 'NOT_POSITIVE_INTEGER'
  | 'NOT_AFTER_NBF'
  | 'ALREADY_EXPIRED'

export class LicenseTermsError extends Error {
  readonly code = 'INVALID_LICENSE_TERMS'
  readonly fields: Readonly<Record<string, TermsFieldProblem>>

  constructor(fields: Record<string, TermsFieldProblem>) {
    const list = Object.entries(fields).map(([field, problem]) => `${field} ${problem}`)
    super(`invalid license terms: ${list.join(', ')}`)
    this.name = 'LicenseTermsError'
    this.fields = fields
  }
}
