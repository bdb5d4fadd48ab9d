import { base64url, CompactSign } from 'jose'
import { describe, expect, it } from 'vitest'
import { armorLicense, dearmorLicense } from './armor.ts'
import { LicenseError } from './errors.ts'
import { issueLicense } from './issue.ts'
import { importLicensePublicKeys } from './keys.ts'
import { CHECKS, ISSUED, keyFixture, TERMS } from './test-fixtures.ts'
import { MAX_REVOCATION_LIST_LENGTH, REVOCATIONS_TYP, signRevocationList } from './revocations.ts'
import { verifyRevocationList, type VerifyRevocationListOptions } from './revocations.ts'
import { verifyLicense } from './verify.ts'

const current = await keyFixture()
const stranger = await keyFixture()
const ISS = 'https://licenses.example.com'
const IAT_MS = CHECKS.now - 86_400_000 // the list is a day old at CHECKS.now
const IAT = IAT_MS / 1000
const REVOKED = [
  { sub: 'lic_b', revokedAt: IAT_MS - 3_600_000 },
  { sub: 'lic_a', revokedAt: new Date(IAT_MS - 7_200_000) },
]
const list = await signRevocationList({ iss: ISS, revoked: REVOKED }, current.signingKey, {
  now: IAT_MS,
})
const [HEADER, PAYLOAD, SIGNATURE] = list.split('.')
const json = (value: unknown) => base64url.encode(JSON.stringify(value))
const decode = (segment: string) => JSON.parse(new TextDecoder().decode(base64url.decode(segment)))

async function sign(claims: unknown, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: current.kid, typ: REVOCATIONS_TYP, ...header })
    .sign(current.signingKey.key)
}

async function failureOf(text: string, options: VerifyRevocationListOptions = {}, keys?: object) {
  try {
    const trusted = (keys ?? current.jwks) as never
    await verifyRevocationList(text, trusted, { now: CHECKS.now, ...options })
  } catch (error) {
    if (error instanceof LicenseError) return { code: error.code, message: error.message }
    throw error
  }
  return { code: 'VERIFIED' }
}

describe('signRevocationList', () => {
  it('signs {v, iss, iat, revoked} sorted by sub under the header {alg, kid, typ}', () => {
    expect(decode(HEADER)).toEqual({ alg: 'EdDSA', kid: current.kid, typ: REVOCATIONS_TYP })
    expect(Object.keys(decode(HEADER))).toEqual(['alg', 'kid', 'typ'])
    const claims = decode(PAYLOAD)
    expect(Object.keys(claims)).toEqual(['v', 'iss', 'iat', 'revoked'])
    expect(claims).toEqual({
      v: 1,
      iss: ISS,
      iat: IAT,
      revoked: [
        { sub: 'lic_a', rat: IAT - 7200 },
        { sub: 'lic_b', rat: IAT - 3600 },
      ],
    })
  })

  it('signs the same text for the same key, input and time (Ed25519 is deterministic)', async () => {
    const input = { iss: ISS, revoked: [...REVOKED].reverse() }
    const again = await signRevocationList(input, current.signingKey, { now: IAT_MS + 999 })
    expect(again).toBe(list)
  })

  it('refuses a license id listed twice with a TypeError', async () => {
    const twice = [...REVOKED, { sub: 'lic_a', revokedAt: IAT_MS }]
    const signing = signRevocationList({ iss: ISS, revoked: twice }, current.signingKey)
    await expect(signing).rejects.toThrow(new TypeError('license lic_a is listed twice'))
  })

  it.each([
    ['an issuer that is not an origin', { iss: `${ISS}/`, revoked: [] }],
    ['no revoked array', { iss: ISS, revoked: undefined }],
    ['an empty license id', { iss: ISS, revoked: [{ sub: '', revokedAt: IAT_MS }] }],
    ['an invalid revokedAt', { iss: ISS, revoked: [{ sub: 'x', revokedAt: Number.NaN }] }],
  ])('refuses %s with a TypeError', async (_, input) => {
    await expect(signRevocationList(input as never, current.signingKey)).rejects.toThrow(TypeError)
  })

  it('signs an empty list', async () => {
    const empty = await signRevocationList({ iss: ISS, revoked: [] }, current.signingKey)
    expect((await verifyRevocationList(empty, current.jwks)).size).toBe(0)
  })
})

describe('verifyRevocationList', () => {
  it('returns the list: iss, iat, kid, size and each entry by license id', async () => {
    const verified = await verifyRevocationList(list, current.jwks, { now: CHECKS.now })
    expect(verified).toMatchObject({ iss: ISS, iat: IAT, kid: current.kid, size: 2 })
    expect(verified.isRevoked('lic_a')).toEqual({ sub: 'lic_a', rat: IAT - 7200 })
    expect(verified.isRevoked('lic_c')).toBeUndefined()
    expect(Object.isFrozen(verified)).toBe(true)
  })

  it('accepts an imported key set and surrounding whitespace (a served file ends in LF)', async () => {
    const keys = await importLicensePublicKeys(current.jwks)
    expect((await verifyRevocationList(`${list}\r\n`, keys, { now: CHECKS.now })).size).toBe(2)
  })

  it('rejects an altered list with BAD_REVOCATION_LIST, saying the signature fails', async () => {
    const claims = decode(PAYLOAD)
    const forged = json({ ...claims, revoked: claims.revoked.slice(1) })
    expect(await failureOf(`${HEADER}.${forged}.${SIGNATURE}`)).toEqual({
      code: 'BAD_REVOCATION_LIST',
      message: 'the revocation list signature does not verify: it was altered',
    })
  })

  it('rejects a non-canonical signature encoding with BAD_REVOCATION_LIST', async () => {
    const twin = SIGNATURE.slice(0, -1) + String.fromCharCode(SIGNATURE.charCodeAt(85) + 1)
    expect(base64url.decode(twin)).toEqual(base64url.decode(SIGNATURE))
    expect((await failureOf(`${HEADER}.${PAYLOAD}.${twin}`)).code).toBe('BAD_REVOCATION_LIST')
  })

  it('rejects a list signed by an untrusted key with BAD_REVOCATION_LIST, naming the key', async () => {
    expect(await failureOf(list, {}, stranger.jwks)).toEqual({
      code: 'BAD_REVOCATION_LIST',
      message: `the revocation list is signed by an unknown key (${current.kid})`,
    })
  })

  it('rejects a license as a list (typ license+jwt), even one carrying list claims', async () => {
    // A JWS of typ license+jwt whose claims are a well-formed list: only typ can refuse it.
    const claims = decode(PAYLOAD)
    const typedLicense = await sign(claims, { typ: 'license+jwt' })
    const refused = await failureOf(typedLicense)
    expect(refused.code).toBe('BAD_REVOCATION_LIST')
    expect(refused.message).toContain(`typ: ${REVOCATIONS_TYP}`)
    const issued = await issueLicense(TERMS, current.signingKey, { now: ISSUED * 1000 })
    expect((await failureOf(dearmorLicense(issued))).code).toBe('BAD_REVOCATION_LIST')
  })

  it('is not accepted as a license (BAD_ARMOR), even one carrying license claims', async () => {
    const claims = { ...TERMS, iat: ISSUED, v: 1 }
    const typedList = armorLicense(await sign(claims))
    const verdict = verifyLicense(typedList, { keys: current.jwks, ...CHECKS })
    await expect(verdict).rejects.toMatchObject({ code: 'BAD_ARMOR' })
    const listAsLicense = verifyLicense(armorLicense(list), { keys: current.jwks, ...CHECKS })
    await expect(listAsLicense).rejects.toMatchObject({ code: 'BAD_ARMOR' })
  })

  it.each([
    ['alg none', { alg: 'none' }],
    ['no kid', { kid: undefined }],
    ['a crit header', { crit: ['iat'] }],
  ])('rejects a header with %s with BAD_REVOCATION_LIST', async (_, header) => {
    const forged = json({ alg: 'EdDSA', kid: current.kid, typ: REVOCATIONS_TYP, ...header })
    expect((await failureOf(`${forged}.${PAYLOAD}.${SIGNATURE}`)).code).toBe('BAD_REVOCATION_LIST')
  })

  it.each([
    ['armored text', armorLicense(list)],
    ['no JWS at all', 'revoked: lic_a'],
    ['a text over 1 MiB', `${list}${' '.repeat(MAX_REVOCATION_LIST_LENGTH)}`],
  ])('rejects %s with BAD_REVOCATION_LIST', async (_, text) => {
    expect((await failureOf(text)).code).toBe('BAD_REVOCATION_LIST')
  })

  it.each([
    ['format version 2', { v: 2 }],
    ['no revoked array', { revoked: undefined }],
    ['an entry without rat', { revoked: [{ sub: 'lic_a' }] }],
    ['iat as text', { iat: String(IAT) }],
    ['a license id twice', { revoked: [{ sub: 'x', rat: 1 }, { sub: 'x', rat: 2 }] }],
  ])('rejects signed claims with %s with BAD_REVOCATION_LIST', async (_, change) => {
    const signed = await sign({ ...decode(PAYLOAD), ...change })
    expect((await failureOf(signed)).code).toBe('BAD_REVOCATION_LIST')
  })

  it('rejects a list issued in the future beyond the clock skew with BAD_REVOCATION_LIST', async () => {
    const at = IAT_MS - 300_000
    expect((await failureOf(list, { now: at, clockSkew: 300 })).code).toBe('VERIFIED')
    const early = await failureOf(list, { now: at - 1000, clockSkew: 300 })
    expect(early.code).toBe('BAD_REVOCATION_LIST')
    expect(early.message).toContain('issued in the future')
  })

  it('rejects a list older than maxAge (plus skew) with STALE_REVOCATION_LIST', async () => {
    const day = 86_400
    expect((await failureOf(list, { maxAge: day, clockSkew: 0 })).code).toBe('VERIFIED')
    const stale = await failureOf(list, { maxAge: day - 1, clockSkew: 0 })
    expect(stale.code).toBe('STALE_REVOCATION_LIST')
    expect((await failureOf(list, { maxAge: day - 300 })).code).toBe('VERIFIED')
    expect((await failureOf(list, { now: CHECKS.now * 10 })).code).toBe('VERIFIED')
  })

  it.each([
    ['a negative maxAge', { maxAge: -1 }],
    ['a negative skew', { clockSkew: -1 }],
    ['an invalid now', { now: new Date('nope') }],
  ])('refuses %s with a TypeError (a caller bug, not a verdict)', async (_, options) => {
    await expect(verifyRevocationList(list, current.jwks, options)).rejects.toThrow(TypeError)
  })
})
