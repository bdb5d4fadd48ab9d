// Splits an armored license into the parts of its compact JWS (RFC 7515 §7.1) and checks the
// protected header of format v1: exactly {alg: "EdDSA", typ: "license+jwt", kid}, no `crit`.
import { base64url } from 'jose'
import { dearmorLicense } from './armor.ts'
import { LICENSE_TYP } from './claims.ts'
import { LicenseError } from './errors.ts'

export type LicenseHeader = { alg: 'EdDSA'; typ: typeof LICENSE_TYP; kid: string }

export type LicenseParts = {
  header: LicenseHeader
  /** ASCII bytes of `header.payload`, what the Ed25519 signature covers. */
  signingInput: Uint8Array<ArrayBuffer>
  payloadSegment: string
  signatureSegment: string
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** The JSON value inside one base64url segment of the JWS, or BAD_ARMOR. */
export function decodeSegment(segment: string, what: string): unknown {
  try {
    return JSON.parse(decoder.decode(base64url.decode(segment)))
  } catch (cause) {
    throw new LicenseError('BAD_ARMOR', `the license ${what} is not base64url JSON`, { cause })
  }
}

export function splitLicense(text: string): LicenseParts {
  const jws = dearmorLicense(text)
  const [headerSegment, payloadSegment, signatureSegment] = jws.split('.')
  const header = decodeSegment(headerSegment, 'header') as Record<string, unknown> | null
  if (
    typeof header !== 'object' ||
    header === null ||
    header.alg !== 'EdDSA' ||
    header.typ !== LICENSE_TYP ||
    typeof header.kid !== 'string' ||
    header.kid === '' ||
    header.crit !== undefined
  ) {
    const expected = `{alg: EdDSA, typ: ${LICENSE_TYP}, kid}`
    throw new LicenseError('BAD_ARMOR', `the license header must be ${expected}`)
  }
  return {
    header: { alg: 'EdDSA', typ: LICENSE_TYP, kid: header.kid },
    signingInput: encoder.encode(`${headerSegment}.${payloadSegment}`) as Uint8Array<ArrayBuffer>,
    payloadSegment,
    signatureSegment,
  }
}
