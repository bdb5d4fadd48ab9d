import { base64url, CompactSign } from 'jose'
import { describe, expect, it } from 'vitest'
import { armorLicense } from './armor.ts'
import { LicenseError } from './errors.ts'
import { issueLicense } from './issue.ts'
import { buildJwks } from './jwks.ts'
import { importLicensePublicKeys } from './keys.ts'
import { signRevocationList, verifyRevocationList } from './revocations.ts'
import { CHECKS, EXP, ISSUED, keyFixture, NBF, TERMS } from './test-fixtures.ts'
import { createLicenseVerifier, DEFAULT_CLOCK_SKEW, verifyLicense } from './verify.ts'
import type { LicenseCheckOptions, LicenseKeysInput } from './verify.ts'

const current = await keyFixture()
const retired = await keyFixture()
const now = ISSUED * 1000
const license = await issueLicense(TERMS, current.signingKey, { now })
const startsLater = await issueLicense({ ...TERMS, nbf: NBF + 86_400 }, current.signingKey, { now })
const CLAIMS = { ...TERMS, iat: ISSUED, v: 1 }
const ms = (seconds: number) => seconds * 1000

async function codeOf(text: string, checks: Partial<LicenseCheckOptions> = {}, keys?: LicenseKeysInput) {
  try {
    await verifyLicense(text, { keys: keys ?? current.jwks, ...CHECKS, ...checks })
  } catch (error) {
    return error instanceof LicenseError ? error.code : `not a LicenseError: ${error}`
  }
  return 'VALID'
}

async function signRaw(claims: unknown, header: Record<string, unknown> = {}): Promise<string> {
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: current.kid, typ: 'license+jwt', ...header })
    .sign(current.signingKey.key)
  return armorLicense(jws)
}

const [HEADER, PAYLOAD, SIGNATURE] = license.replace(/-----[A-Z ]+-----|\s/g, '').split('.')
const json = (value: unknown) => base64url.encode(JSON.stringify(value))

describe('verifyLicense', () => {
  it('returns the claims of a valid license', async () => {
    expect(await verifyLicense(license, { keys: current.jwks, ...CHECKS })).toEqual(CLAIMS)
  })

  it('accepts the keys as JSON text, as one JWK, or as an imported set', async () => {
    const imported = await importLicensePublicKeys(current.jwks)
    for (const keys of [JSON.stringify(current.jwks), current.publicJwk, imported]) {
      expect(await verifyLicense(license, { keys, ...CHECKS })).toEqual(CLAIMS)
    }
  })

  it('matches the feature code after normalisation', async () => {
    const typed = TERMS.fc.toLowerCase().replace(/(.{4})/g, '$1- ')
    expect(await codeOf(license, { featureCode: typed })).toBe('VALID')
  })

  it('drops claims unknown to format v1 from the result', async () => {
    const extra = await signRaw({ ...CLAIMS, seats: 9 })
    expect(await verifyLicense(extra, { keys: current.jwks, ...CHECKS })).toEqual(CLAIMS)
  })

  it('rejects text that is not an armored license with BAD_ARMOR', async () => {
    expect(await codeOf('hello')).toBe('BAD_ARMOR')
    expect(await codeOf(license.slice(0, 100))).toBe('BAD_ARMOR')
  })

  it.each([
    ['alg none', { alg: 'none' }],
    ['typ JWT', { typ: 'JWT' }],
    ['no kid', { kid: undefined }],
    ['a crit header', { crit: ['exp'] }],
  ])('rejects a header with %s with BAD_ARMOR', async (_, header) => {
    const forged = json({ alg: 'EdDSA', kid: current.kid, typ: 'license+jwt', ...header })
    expect(await codeOf(armorLicense(`${forged}.${PAYLOAD}.${SIGNATURE}`))).toBe('BAD_ARMOR')
  })

  it('rejects a header that is not JSON with BAD_ARMOR', async () => {
    const forged = base64url.encode('{nope')
    expect(await codeOf(armorLicense(`${forged}.${PAYLOAD}.${SIGNATURE}`))).toBe('BAD_ARMOR')
  })

  it('rejects a license whose key is not trusted with UNKNOWN_KEY', async () => {
    expect(await codeOf(license, {}, retired.jwks)).toBe('UNKNOWN_KEY')
  })

  it('rejects altered claims with BAD_SIGNATURE', async () => {
    const forged = json({ ...CLAIMS, qty: 500 })
    expect(await codeOf(armorLicense(`${HEADER}.${forged}.${SIGNATURE}`))).toBe('BAD_SIGNATURE')
  })

  it('rejects a signature from another key under this kid with BAD_SIGNATURE', async () => {
    const other = await issueLicense(TERMS, retired.signingKey, { now })
    const otherSignature = other.replace(/-----[A-Z ]+-----|\s/g, '').split('.')[2]
    const forged = armorLicense(`${HEADER}.${PAYLOAD}.${otherSignature}`)
    expect(await codeOf(forged)).toBe('BAD_SIGNATURE')
  })

  it('rejects a non-canonical or truncated signature encoding with BAD_SIGNATURE', async () => {
    // The last of 86 characters carries 2 signature bits and 4 zero bits: +1 sets a zero bit.
    const twin = SIGNATURE.slice(0, -1) + String.fromCharCode(SIGNATURE.charCodeAt(85) + 1)
    expect(base64url.decode(twin)).toEqual(base64url.decode(SIGNATURE))
    expect(await codeOf(armorLicense(`${HEADER}.${PAYLOAD}.${twin}`))).toBe('BAD_SIGNATURE')
    const short = SIGNATURE.slice(0, -2)
    expect(await codeOf(armorLicense(`${HEADER}.${PAYLOAD}.${short}`))).toBe('BAD_SIGNATURE')
  })

  it('rejects a signed license of another format version with UNSUPPORTED_VERSION', async () => {
    expect(await codeOf(await signRaw({ ...CLAIMS, v: 2 }))).toBe('UNSUPPORTED_VERSION')
    expect(await codeOf(await signRaw({ ...CLAIMS, v: undefined }))).toBe('UNSUPPORTED_VERSION')
    expect(await codeOf(await signRaw({ ...CLAIMS, v: '1' }))).toBe('UNSUPPORTED_VERSION')
  })

  it.each([
    ['qty 0', { qty: 0 }],
    ['iat as text', { iat: String(ISSUED) }],
    ['no customer', { cust: undefined }],
    ['no feature code', { fc: undefined }],
  ])('rejects signed v1 claims with %s with BAD_ARMOR', async (_, change) => {
    expect(await codeOf(await signRaw({ ...CLAIMS, ...change }))).toBe('BAD_ARMOR')
  })

  it('rejects signed claims that are not a JSON object with BAD_ARMOR', async () => {
    expect(await codeOf(await signRaw([CLAIMS]))).toBe('BAD_ARMOR')
  })

  it('rejects a license for another product with WRONG_PRODUCT (ids compare exactly)', async () => {
    expect(await codeOf(license, { product: 'acme-cam' })).toBe('WRONG_PRODUCT')
    expect(await codeOf(license, { product: 'ACME-CAD' })).toBe('WRONG_PRODUCT')
  })

  it('rejects a license for another machine with WRONG_FEATURE_CODE', async () => {
    expect(await codeOf(license, { featureCode: `${TERMS.fc}0` })).toBe('WRONG_FEATURE_CODE')
  })

  it('rejects a license before nbf with NOT_YET_VALID and accepts it from nbf', async () => {
    expect(await codeOf(startsLater, { now: ms(NBF + 86_399) })).toBe('NOT_YET_VALID')
    expect(await codeOf(startsLater, { now: ms(NBF + 86_400) })).toBe('VALID')
  })

  it('rejects a license from exp on with EXPIRED', async () => {
    expect(await codeOf(license, { now: ms(EXP - 1) })).toBe('VALID')
    expect(await codeOf(license, { now: ms(EXP) })).toBe('EXPIRED')
    expect(await codeOf(license, { now: new Date(ms(EXP) + 999) })).toBe('EXPIRED')
  })

  it('tolerates clockSkew seconds at both ends of the period', async () => {
    const start = NBF + 86_400
    expect(await codeOf(startsLater, { now: ms(start - 60), clockSkew: 60 })).toBe('VALID')
    expect(await codeOf(startsLater, { now: ms(start - 61), clockSkew: 60 })).toBe('NOT_YET_VALID')
    expect(await codeOf(license, { now: ms(EXP + 59), clockSkew: 60 })).toBe('VALID')
    expect(await codeOf(license, { now: ms(EXP + 60), clockSkew: 60 })).toBe('EXPIRED')
  })

  it('uses a clock skew of 300 s by default', async () => {
    expect(DEFAULT_CLOCK_SKEW).toBe(300)
    expect(await codeOf(license, { now: ms(EXP + 299), clockSkew: undefined })).toBe('VALID')
    expect(await codeOf(license, { now: ms(EXP + 300), clockSkew: undefined })).toBe('EXPIRED')
  })

  it('rejects a clock set before lastSeen (minus the skew) with CLOCK_ROLLBACK', async () => {
    const at = CHECKS.now
    expect(await codeOf(license, { lastSeen: at + 1000, clockSkew: 0 })).toBe('CLOCK_ROLLBACK')
    expect(await codeOf(license, { lastSeen: at + 300_000, clockSkew: 300 })).toBe('VALID')
    expect(await codeOf(license, { lastSeen: at + 301_000, clockSkew: 300 })).toBe('CLOCK_ROLLBACK')
    expect(await codeOf(license, { lastSeen: new Date(at - 86_400_000) })).toBe('VALID')
  })

  it('rejects a clock set before the license was issued with CLOCK_ROLLBACK', async () => {
    const early = await issueLicense({ ...TERMS, nbf: ISSUED - 86_400 }, current.signingKey, { now })
    expect(await codeOf(early, { now: ms(ISSUED - 1) })).toBe('CLOCK_ROLLBACK')
    expect(await codeOf(early, { now: ms(ISSUED) })).toBe('VALID')
  })

  it('checks in the documented order: key, product, feature code, clock, period', async () => {
    const past = ms(EXP + 86_400)
    expect(await codeOf(license, { product: 'x' }, retired.jwks)).toBe('UNKNOWN_KEY')
    expect(await codeOf(license, { product: 'x', featureCode: 'Y', now: past })).toBe('WRONG_PRODUCT')
    expect(await codeOf(license, { featureCode: 'Y', now: past })).toBe('WRONG_FEATURE_CODE')
    expect(await codeOf(license, { now: past, lastSeen: past + 86_400_000 })).toBe('CLOCK_ROLLBACK')
  })

  it.each([
    ['no product', { product: '' }],
    ['no feature code', { featureCode: ' - ' }],
    ['a negative skew', { clockSkew: -1 }],
    ['an invalid now', { now: new Date('nope') }],
    ['an invalid lastSeen', { lastSeen: Number.NaN }],
  ])('refuses %s with a TypeError (a caller bug, not a verdict)', async (_, checks) => {
    const verdict = verifyLicense(license, { keys: current.jwks, ...CHECKS, ...checks })
    await expect(verdict).rejects.toThrow(TypeError)
  })
})

describe('key rotation', () => {
  it('verifies the retired key while it is trusted, then answers UNKNOWN_KEY once dropped', async () => {
    const old = await issueLicense(TERMS, retired.signingKey, { now })
    const trusted = await buildJwks([current.privateJwk, retired.publicJwk])
    const during = await createLicenseVerifier({ keys: trusted })
    expect(await during(old, CHECKS)).toEqual(CLAIMS)
    expect(await during(license, CHECKS)).toEqual(CLAIMS)
    const after = await createLicenseVerifier({ keys: await buildJwks([current.publicJwk]) })
    await expect(after(old, CHECKS)).rejects.toMatchObject({ code: 'UNKNOWN_KEY' })
    expect(await after(license, CHECKS)).toEqual(CLAIMS)
  })
})

describe('createLicenseVerifier', () => {
  it('fails when built with bad keys, not on the first license', async () => {
    await expect(createLicenseVerifier({ keys: { keys: [] } })).rejects.toThrow(TypeError)
  })

  it('verifies many licenses concurrently with one imported key set', async () => {
    const verify = await createLicenseVerifier({ keys: current.jwks })
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(license, CHECKS)))
    expect(results.map((claims) => claims.sub)).toEqual(Array(20).fill(TERMS.sub))
  })
})

const revokedAt = ms(ISSUED + 86_400)
const revocationList = await signRevocationList(
  { iss: TERMS.iss, revoked: [{ sub: TERMS.sub, revokedAt }] },
  current.signingKey,
  { now: revokedAt },
)
const revocations = await verifyRevocationList(revocationList, current.jwks, { now: CHECKS.now })

describe('revocations', () => {
  it('rejects a license the list names with REVOKED, saying when', async () => {
    const verdict = verifyLicense(license, { keys: current.jwks, ...CHECKS, revocations })
    await expect(verdict).rejects.toMatchObject({
      code: 'REVOKED',
      message: `the license ${TERMS.sub} was revoked at 2026-01-02T00:00:00Z`,
    })
  })

  it('accepts a license the list does not name', async () => {
    const other = await issueLicense({ ...TERMS, sub: 'lic_other' }, current.signingKey, { now })
    expect(await codeOf(other, { revocations })).toBe('VALID')
    expect(await codeOf(license)).toBe('VALID')
  })

  it('reports REVOKED before product, machine and time (a revoked license is dead)', async () => {
    const past = ms(EXP + 86_400)
    const everythingWrong = { product: 'x', featureCode: 'Y', now: past, revocations }
    expect(await codeOf(license, everythingWrong)).toBe('REVOKED')
    expect(await codeOf(license, { product: 'acme-cam', revocations })).toBe('REVOKED')
  })

  it('checks the signature before the list (an altered license is BAD_SIGNATURE)', async () => {
    const forged = armorLicense(`${HEADER}.${json({ ...CLAIMS, qty: 500 })}.${SIGNATURE}`)
    expect(await codeOf(forged, { revocations })).toBe('BAD_SIGNATURE')
  })

  it('refuses revocations that are not a verified list with a TypeError', async () => {
    const checks = { ...CHECKS, revocations: { size: 0 } as never }
    await expect(verifyLicense(license, { keys: current.jwks, ...checks })).rejects.toThrow(TypeError)
  })
})
