// Reads a license's header and claims without verifying anything: for display and support only,
// never for a licensing decision.
import { dearmorLicense } from './armor.ts'
import { LicenseError } from './errors.ts'
import { decodeSegment } from './jws.ts'

export type InspectedLicense = { header: Record<string, unknown>; claims: Record<string, unknown> }

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>
  }
  throw new LicenseError('BAD_ARMOR', `the license ${what} is not a JSON object`)
}

/** The decoded header and claims of an armored license, UNVERIFIED; BAD_ARMOR when unreadable. */
export function inspectLicense(text: string): InspectedLicense {
  const [header, claims] = dearmorLicense(text).split('.')
  return {
    header: asObject(decodeSegment(header, 'header'), 'header'),
    claims: asObject(decodeSegment(claims, 'claims'), 'claims'),
  }
}
