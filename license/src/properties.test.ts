import fc from 'fast-check'
import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { armorLicense, dearmorLicense } from './armor.ts'
import type { LicenseTerms } from './claims.ts'
import { LicenseError } from './errors.ts'
import { compactFeatureCode, normalizeFeatureCode } from './feature-code.ts'
import { issueLicense } from './issue.ts'
import { keyFixture } from './test-fixtures.ts'
import { createLicenseVerifier } from './verify.ts'

const { signingKey, jwks } = await keyFixture()
const verify = await createLicenseVerifier({ keys: jwks })
const NOW = Date.parse('2026-01-01T00:00:00Z')
const iat = NOW / 1000

const HAN = fc.integer({ min: 0x4e00, max: 0x9fff }).map((code) => String.fromCharCode(code))
const GRAPHEME = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })
// Any code point except controls, plus plenty of Chinese; trimmed non-empty, as an issuer requires.
const text = (max: number) =>
  fc
    .array(fc.oneof(HAN, GRAPHEME), { minLength: 1, maxLength: max })
    .map((chars) => chars.join('').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim())
    .filter((value) => value !== '' && value.length <= max)
const featureCode = fc
  .string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF-_ .:/'), minLength: 1, maxLength: 200 })
  .filter((code) => normalizeFeatureCode(code) !== '')

const terms: fc.Arbitrary<LicenseTerms> = fc
  .record({
    sub: fc.stringMatching(/^[A-Za-z0-9_]{1,64}$/),
    aud: fc.stringMatching(/^[a-z0-9-]{1,40}$/),
    start: fc.integer({ min: -10 * 365 * 86_400, max: 10 * 365 * 86_400 }),
    days: fc.integer({ min: 1, max: 36_500 }),
    fc: featureCode,
    qty: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    name: text(200),
    company: fc.oneof(fc.constant(''), text(200)),
    email: fc
      .tuple(fc.stringMatching(/^[a-z0-9.]{1,30}$/), fc.domain())
      .map(([local, domain]) => `${local}@${domain}`),
  })
  .map(({ start, days, name, company, email, ...rest }) => {
    const nbf = Math.max(0, iat + start)
    return {
      ...rest,
      iss: 'https://licenses.example.com',
      app: 'app_prop',
      nbf,
      exp: Math.max(nbf, iat) + days * 86_400,
      cust: { name, company, email },
    }
  })

function checksFor(t: LicenseTerms) {
  return { product: t.aud, featureCode: t.fc, now: Math.max(t.nbf, iat) * 1000, clockSkew: 0 }
}

describe('license properties', () => {
  it('round-trips any terms: what is issued verifies to the same claims', async () => {
    await fc.assert(
      fc.asyncProperty(terms, async (t) => {
        const claims = await verify(await issueLicense(t, signingKey, { now: NOW }), checksFor(t))
        expect(claims).toEqual({ ...t, fc: compactFeatureCode(t.fc), iat, v: 1 })
      }),
      { numRuns: 150 },
    )
  })

  it('rejects any change to one character of the signed part (header or claims)', async () => {
    await fc.assert(
      fc.asyncProperty(terms, fc.nat(), fc.nat(), async (t, where, to) => {
        const jws = dearmorLicense(await issueLicense(t, signingKey, { now: NOW }))
        const signedLength = jws.lastIndexOf('.')
        const at = where % signedLength
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.='
        const replacement = alphabet.replace(jws[at], '')[to % (alphabet.length - 1)]
        const altered = jws.slice(0, at) + replacement + jws.slice(at + 1)
        await expect(verify(armorLicense(altered), checksFor(t))).rejects.toBeInstanceOf(LicenseError)
      }),
      { numRuns: 300 },
    )
  })

  it('rejects any change to one byte of the claims, re-encoded, with BAD_SIGNATURE', async () => {
    await fc.assert(
      fc.asyncProperty(terms, fc.nat(), fc.integer({ min: 1, max: 255 }), async (t, where, flip) => {
        const license = await issueLicense(t, signingKey, { now: NOW })
        const [header, payload, signature] = dearmorLicense(license).split('.')
        const bytes = base64url.decode(payload)
        bytes[where % bytes.length] ^= flip
        const altered = `${header}.${base64url.encode(bytes)}.${signature}`
        const verdict = verify(armorLicense(altered), checksFor(t))
        await expect(verdict).rejects.toMatchObject({ code: 'BAD_SIGNATURE' })
      }),
      { numRuns: 300 },
    )
  })
})
