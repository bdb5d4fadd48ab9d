// Errors of the worker↔proxy proof. Every failure is a 401 with a stable code (docs/errors.md).

export type ProofErrorCode =
  | 'PROOF_MISSING'
  | 'PROOF_MALFORMED'
  | 'PROOF_UNKNOWN_KEY'
  | 'PROOF_BAD_SIGNATURE'
  | 'PROOF_WRONG_AUDIENCE'
  | 'PROOF_EXPIRED'
  | 'PROOF_NOT_YET_VALID'
  | 'PROOF_TOO_LONG_LIVED'
  | 'PROOF_WRONG_METHOD'
  | 'PROOF_WRONG_TARGET'
  | 'PROOF_BODY_MISMATCH'
  | 'PROOF_REPLAYED'
  | 'PROOF_PREDATES_PROXY'

export const PROOF_ERROR_CODES: readonly ProofErrorCode[] = [
  'PROOF_MISSING',
  'PROOF_MALFORMED',
  'PROOF_UNKNOWN_KEY',
  'PROOF_BAD_SIGNATURE',
  'PROOF_WRONG_AUDIENCE',
  'PROOF_EXPIRED',
  'PROOF_NOT_YET_VALID',
  'PROOF_TOO_LONG_LIVED',
  'PROOF_WRONG_METHOD',
  'PROOF_WRONG_TARGET',
  'PROOF_BODY_MISMATCH',
  'PROOF_REPLAYED',
  'PROOF_PREDATES_PROXY',
]

export class ProofError extends Error {
  readonly code: ProofErrorCode
  readonly status = 401

  constructor(code: ProofErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ProofError'
    this.code = code
  }
}
