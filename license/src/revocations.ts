// Signed license revocation lists (stable, docs/license-format.md, "Revocation list"): which
// license ids are revoked and since when, as a compact JWS signed with a license key. Published
// by the portal; a product verifies the newest list it has and passes it to verifyLicense.
import { CompactSign } from 'jose'
import { LicenseError } from './errors.ts'
import type { JwkInput } from './jwk.ts'
import { headerKid, readSegment, signatureHolds, signingInputOf } from './jws.ts'
import { importLicensePublicKeys, type LicenseSigningKey } from './keys.ts'
import { isOrigin, MAX_ID_LENGTH, MAX_ORIGIN_LENGTH, textProblem } from './terms.ts'
import { isoSeconds, toSeconds, type Instant } from './time.ts'
import { DEFAULT_CLOCK_SKEW, type LicenseKeysInput } from './verify.ts'

export const REVOCATIONS_TYP = 'license-revocations+jwt'
export const REVOCATIONS_FORMAT_VERSION = 1
/** 1 MiB: about 20,000 entries; bounds the work done on hostile input. */
export const MAX_REVOCATION_LIST_LENGTH = 1_048_576

/** A revoked license: its id (`sub`) and when it was revoked (`rat`, NumericDate seconds). */
export type RevokedEntry = { sub: string; rat: number }
export type RevocationListClaims = { v: 1; iss: string; iat: number; revoked: RevokedEntry[] }

export type RevocationListInput = {
  iss: string
  revoked: ReadonlyArray<{ sub: string; revokedAt: Instant }>
}

export type SignRevocationListOptions = {
  /** The issue time (`iat`); defaults to `Date.now()`. */
  now?: Instant
}

export type VerifyRevocationListOptions = {
  /** The current time; defaults to `Date.now()`. */
  now?: Instant
  /** Seconds: refuse a list issued longer ago than this (STALE_REVOCATION_LIST); default none. */
  maxAge?: number
  /** Seconds of tolerance for the time checks; defaults to 300. */
  clockSkew?: number
}

export type VerifiedRevocationList = Readonly<{
  iss: string
  iat: number
  kid: string
  size: number
  isRevoked(sub: string): RevokedEntry | undefined
}>

const encoder = new TextEncoder()
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const SURROUNDING_WHITESPACE = /^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g

const bad = (message: string) => new LicenseError('BAD_REVOCATION_LIST', message)

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const isTime = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0

/** UTF-16 code unit order, the same in every JavaScript engine (and byte order for ASCII ids). */
const compareSub = (a: RevokedEntry, b: RevokedEntry) =>
  a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0

function entriesFrom(revoked: RevocationListInput['revoked']): RevokedEntry[] {
  if (!Array.isArray(revoked)) throw new TypeError('revoked must be an array of {sub, revokedAt}')
  const entries = revoked.map(({ sub, revokedAt }, index) => {
    if (textProblem(sub, MAX_ID_LENGTH) !== undefined) {
      throw new TypeError(`revoked[${index}].sub must be a license id (1–${MAX_ID_LENGTH} chars)`)
    }
    const rat = toSeconds(revokedAt, `revoked[${index}].revokedAt`)
    if (rat < 0) throw new TypeError(`revoked[${index}].revokedAt lies before 1970`)
    return { sub, rat }
  })
  entries.sort(compareSub)
  for (let at = 1; at < entries.length; at += 1) {
    if (entries[at].sub === entries[at - 1].sub) {
      throw new TypeError(`license ${entries[at].sub} is listed twice`)
    }
  }
  return entries
}

/**
 * Signs a list; entries sorted by sub, duplicates refused (TypeError), deterministic for
 * key+input+now. Returns the compact JWS (no armor).
 */
export async function signRevocationList(
  input: RevocationListInput,
  signingKey: LicenseSigningKey,
  options: SignRevocationListOptions = {},
): Promise<string> {
  if (typeof signingKey?.kid !== 'string' || !(signingKey.key instanceof CryptoKey)) {
    throw new TypeError('signingKey must come from importLicenseSigningKey')
  }
  const iss = input?.iss
  if (textProblem(iss, MAX_ORIGIN_LENGTH) !== undefined || !isOrigin(iss)) {
    throw new TypeError('iss must be the portal origin, http(s)://host[:port] without a path')
  }
  const revoked = entriesFrom(input.revoked)
  const iat = toSeconds(options.now ?? Date.now(), 'now')
  // The published member order; with Ed25519 it makes signing byte-for-byte reproducible.
  const claims: RevocationListClaims = { v: REVOCATIONS_FORMAT_VERSION, iss, iat, revoked }
  const jws = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ: REVOCATIONS_TYP })
    .sign(signingKey.key)
  if (jws.length > MAX_REVOCATION_LIST_LENGTH) {
    const limit = `${MAX_REVOCATION_LIST_LENGTH} characters`
    throw new RangeError(`the revocation list of ${revoked.length} entries exceeds ${limit}`)
  }
  return jws
}

function claimsFrom(payload: unknown): RevocationListClaims {
  if (!isPlainObject(payload)) throw bad('the revocation list claims are not a JSON object')
  if (payload.v !== REVOCATIONS_FORMAT_VERSION) {
    const version = JSON.stringify(payload.v) ?? 'missing'
    throw bad(`revocation list format version ${version} is not v1`)
  }
  const { iss, iat, revoked } = payload
  const entriesValid =
    Array.isArray(revoked) &&
    revoked.every((entry) => {
      return isPlainObject(entry) && typeof entry.sub === 'string' && isTime(entry.rat)
    })
  if (typeof iss !== 'string' || !isTime(iat) || !entriesValid) {
    throw bad('the revocation list claims do not match {v: 1, iss, iat, revoked: [{sub, rat}]}')
  }
  // Unknown members are dropped, as for licenses, so optional ones can be added later.
  const entries = (revoked as RevokedEntry[]).map(({ sub, rat }) => Object.freeze({ sub, rat }))
  return { v: 1, iss, iat, revoked: entries }
}

function readOptions(options: VerifyRevocationListOptions) {
  const { maxAge, clockSkew = DEFAULT_CLOCK_SKEW } = options ?? {}
  if (!Number.isFinite(clockSkew) || clockSkew < 0) {
    throw new TypeError('clockSkew must be a number of seconds, 0 or more')
  }
  if (maxAge !== undefined && (!Number.isFinite(maxAge) || maxAge < 0)) {
    throw new TypeError('maxAge must be a number of seconds, 0 or more')
  }
  return { maxAge, skew: clockSkew, now: toSeconds(options?.now ?? Date.now(), 'now') }
}

/**
 * Verifies with trusted keys (same LicenseKeysInput as verifyLicense); optional maxAge (seconds)
 * refuses a list older than that relative to now (default: no max age).
 */
export async function verifyRevocationList(
  text: string,
  keys: LicenseKeysInput,
  options: VerifyRevocationListOptions = {},
): Promise<VerifiedRevocationList> {
  const { maxAge, skew, now } = readOptions(options)
  const trusted = keys instanceof Map ? keys : await importLicensePublicKeys(keys as JwkInput)
  if (typeof text !== 'string') throw bad('a revocation list is text')
  if (text.length > MAX_REVOCATION_LIST_LENGTH) {
    throw bad(`the revocation list is longer than ${MAX_REVOCATION_LIST_LENGTH} characters`)
  }
  const jws = text.replace(SURROUNDING_WHITESPACE, '')
  if (!COMPACT_JWS.test(jws)) throw bad('the revocation list is not a compact JWS')
  const [headerSegment, payloadSegment, signatureSegment] = jws.split('.')
  // typ keeps a license from passing for a list, and a list for a license (license+jwt).
  const kid = headerKid(readSegment(headerSegment), REVOCATIONS_TYP)
  if (kid === undefined) {
    throw bad(`the revocation list header must be {alg: EdDSA, typ: ${REVOCATIONS_TYP}, kid}`)
  }
  const key = trusted.get(kid)
  if (!key) throw bad(`the revocation list is signed by an unknown key (${kid})`)
  const signingInput = signingInputOf(headerSegment, payloadSegment)
  if (!(await signatureHolds(key, signingInput, signatureSegment))) {
    throw bad('the revocation list signature does not verify: it was altered')
  }
  const claims = claimsFrom(readSegment(payloadSegment))
  if (claims.iat > now + skew) {
    throw bad(`the revocation list is issued in the future (${isoSeconds(claims.iat)})`)
  }
  if (maxAge !== undefined && now > claims.iat + maxAge + skew) {
    const message = `the revocation list of ${isoSeconds(claims.iat)} is older than ${maxAge} s`
    throw new LicenseError('STALE_REVOCATION_LIST', message)
  }
  const bySub = new Map<string, RevokedEntry>()
  for (const entry of claims.revoked) {
    if (bySub.has(entry.sub)) throw bad(`the revocation list names ${entry.sub} twice`)
    bySub.set(entry.sub, entry)
  }
  return Object.freeze({
    iss: claims.iss,
    iat: claims.iat,
    kid,
    size: bySub.size,
    isRevoked: (sub: string) => bySub.get(sub),
  })
}
