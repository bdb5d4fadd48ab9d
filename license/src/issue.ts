// Issues a license: checks the terms, signs the v1 claims with the current key (EdDSA) and armors
// the compact JWS. Deterministic for a given key, terms and `now` (Ed25519 signatures are).
import { CompactSign } from 'jose'
import { armorLicense } from './armor.ts'
import { LICENSE_TYP, type LicenseTerms } from './claims.ts'
import { claimsFromTerms } from './terms.ts'
import type { LicenseSigningKey } from './keys.ts'
import { toSeconds, type Instant } from './time.ts'

export type IssueLicenseOptions = {
  /** The issue time (`iat`); defaults to `Date.now()`. */
  now?: Instant
}

const encoder = new TextEncoder()

export async function issueLicense(
  terms: LicenseTerms,
  signingKey: LicenseSigningKey,
  options: IssueLicenseOptions = {},
): Promise<string> {
  if (typeof signingKey?.kid !== 'string' || !(signingKey.key instanceof CryptoKey)) {
    throw new TypeError('signingKey must come from importLicenseSigningKey')
  }
  const claims = claimsFromTerms(terms, toSeconds(options.now ?? Date.now(), 'now'))
  const jws = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ: LICENSE_TYP })
    .sign(signingKey.key)
  return armorLicense(jws)
}
