// The claims of license format v1 (stable, docs/license-format.md, "Claims") and what a verifier
// accepts once the signature holds: the version first, then the shape; unknown members dropped.
import { LicenseError } from './errors.ts'

export const LICENSE_FORMAT_VERSION = 1
export const LICENSE_TYP = 'license+jwt'

export type LicenseCustomer = { name: string; company: string; email: string }

/** What the issuer decides; times are seconds since the epoch. */
export type LicenseTerms = {
  iss: string
  sub: string
  aud: string
  nbf: number
  exp: number
  fc: string
  qty: number
  app: string
  cust: LicenseCustomer
}

export type LicenseClaims = LicenseTerms & { iat: number; v: typeof LICENSE_FORMAT_VERSION }

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCustomer(value: unknown): value is LicenseCustomer {
  return (
    isPlainObject(value) &&
    typeof value.name === 'string' &&
    typeof value.company === 'string' &&
    typeof value.email === 'string'
  )
}

/** The v1 claims of a license whose signature holds, or UNSUPPORTED_VERSION / BAD_ARMOR. */
export function claimsFromPayload(payload: unknown): LicenseClaims {
  if (!isPlainObject(payload)) {
    throw new LicenseError('BAD_ARMOR', 'the license claims are not a JSON object')
  }
  if (payload.v !== LICENSE_FORMAT_VERSION) {
    const version = JSON.stringify(payload.v) ?? 'missing'
    throw new LicenseError('UNSUPPORTED_VERSION', `license format version ${version} is not v1`)
  }
  const { iss, sub, aud, iat, nbf, exp, fc, qty, app, cust } = payload
  const valid =
    typeof iss === 'string' &&
    typeof sub === 'string' &&
    typeof aud === 'string' &&
    Number.isSafeInteger(iat) &&
    Number.isSafeInteger(nbf) &&
    Number.isSafeInteger(exp) &&
    typeof fc === 'string' &&
    Number.isSafeInteger(qty) &&
    (qty as number) >= 1 &&
    typeof app === 'string' &&
    isCustomer(cust)
  if (!valid) throw new LicenseError('BAD_ARMOR', 'the license claims do not match format v1')
  const customer = { name: cust.name, company: cust.company, email: cust.email }
  const times = { iat: iat as number, nbf: nbf as number, exp: exp as number }
  return { v: 1, iss, sub, aud, ...times, fc, qty: qty as number, app, cust: customer }
}
