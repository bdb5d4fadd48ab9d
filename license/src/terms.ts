// What an issuer may sign (docs/license-format.md, "Claims"): every term checked strictly, all
// problems reported at once, the feature code stored in its normalised form.
import { LICENSE_FORMAT_VERSION, type LicenseClaims, type LicenseTerms } from './claims.ts'
import { LicenseTermsError, type TermsFieldProblem } from './errors.ts'
import { compactFeatureCode, isValidFeatureCode, normalizeFeatureCode } from './feature-code.ts'
import { MAX_FEATURE_CODE_LENGTH } from './feature-code.ts'

export const MAX_ID_LENGTH = 128
export const MAX_ORIGIN_LENGTH = 256
const MAX_NAME_LENGTH = 200
const MAX_EMAIL_LENGTH = 254
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const EMAIL = /^[^\s@]+@[^\s@]+$/

type Problems = Record<string, TermsFieldProblem>

/** Why `value` is not a text field of at most `max` characters (no control characters), if not. */
export function textProblem(
  value: unknown,
  max: number,
  required = true,
): TermsFieldProblem | undefined {
  if (typeof value !== 'string' || (required && value.trim() === '')) return 'MISSING'
  if (value.length > max) return 'TOO_LONG'
  if (CONTROL.test(value) || value.trim() !== value) return 'INVALID'
  return undefined
}

export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value
  } catch {
    return false
  }
}

function isTime(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function featureCodeProblem(value: unknown): TermsFieldProblem | undefined {
  const fc = typeof value === 'string' ? compactFeatureCode(value) : ''
  if (normalizeFeatureCode(fc) === '') return 'MISSING'
  if (fc.length > MAX_FEATURE_CODE_LENGTH) return 'TOO_LONG'
  return isValidFeatureCode(fc) ? undefined : 'INVALID'
}

function periodProblems(t: Partial<LicenseTerms>, iat: number): Problems {
  if (!isTime(t.nbf)) return isTime(t.exp) ? { nbf: 'INVALID' } : { nbf: 'INVALID', exp: 'INVALID' }
  if (!isTime(t.exp)) return { exp: 'INVALID' }
  if (t.exp <= t.nbf) return { exp: 'NOT_AFTER_NBF' }
  return t.exp <= iat ? { exp: 'ALREADY_EXPIRED' } : {}
}

function customerProblems(cust: unknown): Problems {
  if (typeof cust !== 'object' || cust === null) return { cust: 'MISSING' }
  const { name, company, email } = cust as Partial<LicenseTerms['cust']>
  const problems: Problems = {}
  const emailProblem =
    textProblem(email, MAX_EMAIL_LENGTH) ?? (EMAIL.test(email!) ? undefined : 'INVALID')
  for (const [field, problem] of [
    ['cust.name', textProblem(name, MAX_NAME_LENGTH)],
    ['cust.company', textProblem(company, MAX_NAME_LENGTH, false)],
    ['cust.email', emailProblem],
  ] as const) {
    if (problem) problems[field] = problem
  }
  return problems
}

/** The claims to sign for `terms` issued at `iat`; a LicenseTermsError names every bad field. */
export function claimsFromTerms(terms: LicenseTerms, iat: number): LicenseClaims {
  const t: Partial<LicenseTerms> = terms ?? {}
  const problems: Problems = {}
  const iss =
    textProblem(t.iss, MAX_ORIGIN_LENGTH) ?? (isOrigin(t.iss!) ? undefined : 'INVALID')
  const qty = Number.isSafeInteger(t.qty) && t.qty! >= 1 ? undefined : 'NOT_POSITIVE_INTEGER'
  const single: Record<string, TermsFieldProblem | undefined> = {
    iss,
    sub: textProblem(t.sub, MAX_ID_LENGTH),
    aud: textProblem(t.aud, MAX_ID_LENGTH),
    app: textProblem(t.app, MAX_ID_LENGTH),
    fc: featureCodeProblem(t.fc),
    qty,
  }
  for (const [field, problem] of Object.entries(single)) if (problem) problems[field] = problem
  Object.assign(problems, periodProblems(t, iat), customerProblems(t.cust))
  if (Object.keys(problems).length > 0) throw new LicenseTermsError(problems)
  const { iss: issuer, sub, aud, nbf, exp, fc, app, cust } = terms
  // The published member order; with Ed25519 it makes issuing byte-for-byte reproducible.
  return {
    v: LICENSE_FORMAT_VERSION,
    iss: issuer,
    sub,
    aud,
    iat,
    nbf,
    exp,
    fc: compactFeatureCode(fc),
    qty: terms.qty,
    app,
    cust: { name: cust.name, company: cust.company, email: cust.email },
  }
}
