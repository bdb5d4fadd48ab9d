// Verifies a license offline, in the order of docs/license-format.md ("Verifying"): armor and
// header, key, signature, version and claims, revocation, product, feature code, clock, period.
import { claimsFromPayload, type LicenseClaims } from './claims.ts'
import { LicenseError } from './errors.ts'
import { normalizeFeatureCode } from './feature-code.ts'
import type { JwkInput } from './jwk.ts'
import { decodeSegment, signatureHolds, splitLicense } from './jws.ts'
import { importLicensePublicKeys, type LicensePublicKeys } from './keys.ts'
import type { VerifiedRevocationList } from './revocations.ts'
import { isoSeconds, toSeconds, type Instant } from './time.ts'

export type LicenseCheckOptions = {
  /** The product id this build is; must equal the license's `aud`. */
  product: string
  /** The feature code this machine reports; compared after normalisation. */
  featureCode: string
  /** The current time; defaults to `Date.now()`. */
  now?: Instant
  /** The latest time this product has seen (stored by the product); guards against rollback. */
  lastSeen?: Instant
  /** Seconds of tolerance for every time comparison; defaults to 300. */
  clockSkew?: number
  /** A list from verifyRevocationList; a license it names is REVOKED whatever else holds. */
  revocations?: VerifiedRevocationList
}

/** Trusted keys: an imported set (fast), or a JWK Set, a JWK, or their JSON (import per call). */
export type LicenseKeysInput = LicensePublicKeys | JwkInput

export type VerifyLicenseOptions = LicenseCheckOptions & { keys: LicenseKeysInput }

export type LicenseVerifier = (text: string, options: LicenseCheckOptions) => Promise<LicenseClaims>

export const DEFAULT_CLOCK_SKEW = 300

type Checks = {
  product: string
  featureCode: string
  skew: number
  now: number
  lastSeen?: number
  revocations?: VerifiedRevocationList
}

function readChecks(options: LicenseCheckOptions): Checks {
  const { product, featureCode, clockSkew = DEFAULT_CLOCK_SKEW, revocations } = options ?? {}
  if (typeof product !== 'string' || product === '') {
    throw new TypeError('product must be the product id (a non-empty string)')
  }
  if (typeof featureCode !== 'string' || normalizeFeatureCode(featureCode) === '') {
    throw new TypeError('featureCode must be the feature code this machine reports')
  }
  if (!Number.isFinite(clockSkew) || clockSkew < 0) {
    throw new TypeError('clockSkew must be a number of seconds, 0 or more')
  }
  if (revocations !== undefined && typeof revocations?.isRevoked !== 'function') {
    throw new TypeError('revocations must come from verifyRevocationList')
  }
  return {
    product,
    featureCode: normalizeFeatureCode(featureCode),
    skew: clockSkew,
    now: toSeconds(options.now ?? Date.now(), 'now'),
    lastSeen: options.lastSeen === undefined ? undefined : toSeconds(options.lastSeen, 'lastSeen'),
    revocations,
  }
}

async function signedPayload(keys: LicensePublicKeys, text: string): Promise<unknown> {
  const { header, signingInput, payloadSegment, signatureSegment } = splitLicense(text)
  const key = keys.get(header.kid)
  if (!key) {
    throw new LicenseError('UNKNOWN_KEY', `the license is signed by an unknown key (${header.kid})`)
  }
  // Only the canonical encoding of a 64-byte signature is accepted, so a license has one spelling.
  if (!(await signatureHolds(key, signingInput, signatureSegment))) {
    throw new LicenseError('BAD_SIGNATURE', 'the license signature does not verify: it was altered')
  }
  return decodeSegment(payloadSegment, 'claims')
}

function check(claims: LicenseClaims, checks: Checks) {
  const { product, featureCode, skew, now, lastSeen, revocations } = checks
  // First of the claims: a revoked license is dead whatever else holds (product, machine, dates).
  const revoked = revocations?.isRevoked(claims.sub)
  if (revoked) {
    const message = `the license ${claims.sub} was revoked at ${isoSeconds(revoked.rat)}`
    throw new LicenseError('REVOKED', message)
  }
  if (claims.aud !== product) {
    const message = `the license is for product "${claims.aud}", not "${product}"`
    throw new LicenseError('WRONG_PRODUCT', message)
  }
  if (normalizeFeatureCode(claims.fc) !== featureCode) {
    const message = `the license is for another machine (${claims.fc})`
    throw new LicenseError('WRONG_FEATURE_CODE', message)
  }
  // A clock earlier than the license's own issue time, or than a time already seen, was set back.
  const floor = Math.max(claims.iat, lastSeen ?? claims.iat)
  if (now < floor - skew) {
    const message = `the clock reads ${isoSeconds(now)}, before ${isoSeconds(floor)}: set back?`
    throw new LicenseError('CLOCK_ROLLBACK', message)
  }
  if (now < claims.nbf - skew) {
    throw new LicenseError('NOT_YET_VALID', `the license is valid from ${isoSeconds(claims.nbf)}`)
  }
  if (now >= claims.exp + skew) {
    throw new LicenseError('EXPIRED', `the license expired at ${isoSeconds(claims.exp)}`)
  }
  return claims
}

/** Imports the trusted keys once and returns a verify function that reuses them. */
export async function createLicenseVerifier(options: {
  keys: LicenseKeysInput
}): Promise<LicenseVerifier> {
  const { keys: input } = options
  const keys = input instanceof Map ? input : await importLicensePublicKeys(input as JwkInput)
  return async (text, options) => {
    const checks = readChecks(options)
    return check(claimsFromPayload(await signedPayload(keys, text)), checks)
  }
}

/** Verifies one license: its claims, or a LicenseError with a stable code. */
export async function verifyLicense(
  text: string,
  options: VerifyLicenseOptions,
): Promise<LicenseClaims> {
  return (await createLicenseVerifier({ keys: options.keys }))(text, options)
}
