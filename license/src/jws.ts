// Splits an armored license into the parts of its compact JWS (RFC 7515 §7.1) and checks the
// protected header of format v1: exactly {alg: "EdDSA", typ: "license+jwt", kid}, no `crit`.
// The header and signature rules are shared with revocation lists (revocations.ts).
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
const ED25519 = { name: 'Ed25519' }
const SIGNATURE_LENGTH = 86 // base64url characters of a 64-byte Ed25519 signature

/** The JSON value inside one base64url segment, or undefined when it is not base64url JSON. */
export function readSegment(segment: string): unknown {
  try {
    return JSON.parse(decoder.decode(base64url.decode(segment)))
  } catch {
    return undefined
  }
}

/** The JSON value inside one base64url segment of the JWS, or BAD_ARMOR. */
export function decodeSegment(segment: string, what: string): unknown {
  const value = readSegment(segment)
  if (value === undefined) {
    throw new LicenseError('BAD_ARMOR', `the license ${what} is not base64url JSON`)
  }
  return value
}

/** The `kid` of a protected header `{alg: "EdDSA", typ, kid}` without `crit`, else undefined. */
export function headerKid(header: unknown, typ: string): string | undefined {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined
  const { alg, typ: actual, kid, crit } = header as Record<string, unknown>
  const valid = alg === 'EdDSA' && actual === typ && typeof kid === 'string' && kid !== ''
  return valid && crit === undefined ? (kid as string) : undefined
}

/** The ASCII bytes of `header.payload`, what the Ed25519 signature covers. */
export function signingInputOf(headerSegment: string, payloadSegment: string) {
  return encoder.encode(`${headerSegment}.${payloadSegment}`) as Uint8Array<ArrayBuffer>
}

/**
 * True when `signatureSegment` is the canonical encoding of a 64-byte Ed25519 signature of
 * `signingInput` by `key`: only one spelling of a signed text is accepted.
 */
export async function signatureHolds(
  key: CryptoKey,
  signingInput: Uint8Array<ArrayBuffer>,
  signatureSegment: string,
): Promise<boolean> {
  if (signatureSegment.length !== SIGNATURE_LENGTH) return false
  const signature = base64url.decode(signatureSegment) as Uint8Array<ArrayBuffer>
  if (base64url.encode(signature) !== signatureSegment) return false
  return crypto.subtle.verify(ED25519, key, signature, signingInput)
}

export function splitLicense(text: string): LicenseParts {
  const jws = dearmorLicense(text)
  const [headerSegment, payloadSegment, signatureSegment] = jws.split('.')
  const kid = headerKid(decodeSegment(headerSegment, 'header'), LICENSE_TYP)
  if (kid === undefined) {
    const expected = `{alg: EdDSA, typ: ${LICENSE_TYP}, kid}`
    throw new LicenseError('BAD_ARMOR', `the license header must be ${expected}`)
  }
  return {
    header: { alg: 'EdDSA', typ: LICENSE_TYP, kid },
    signingInput: signingInputOf(headerSegment, payloadSegment),
    payloadSegment,
    signatureSegment,
  }
}
