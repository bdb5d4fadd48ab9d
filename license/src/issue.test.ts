import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import type { LicenseTerms } from './claims.ts'
import { LicenseTermsError } from './errors.ts'
import { inspectLicense } from './inspect.ts'
import { issueLicense } from './issue.ts'
import { ISSUED, keyFixture, TERMS } from './test-fixtures.ts'

const { signingKey, kid } = await keyFixture()
const now = ISSUED * 1000

async function problemsOf(terms: unknown): Promise<Record<string, string> | undefined> {
  try {
    await issueLicense(terms as LicenseTerms, signingKey, { now })
  } catch (error) {
    if (error instanceof LicenseTermsError) return { ...error.fields }
    throw error
  }
  return undefined
}

describe('issueLicense', () => {
  it('signs the v1 claims with iat from now under the header {alg, kid, typ}', async () => {
    const license = await issueLicense(TERMS, signingKey, { now: new Date(now + 999) })
    const { header, claims } = inspectLicense(license)
    expect(header).toEqual({ alg: 'EdDSA', kid, typ: 'license+jwt' })
    expect(claims).toEqual({ ...TERMS, iat: ISSUED, v: 1 })
  })

  it('writes the claims in the published member order', async () => {
    const license = await issueLicense(TERMS, signingKey, { now })
    const payload = license.replace(/-----[A-Z ]+-----|\s/g, '').split('.')[1]
    const json = new TextDecoder().decode(base64url.decode(payload))
    const order = ['v', 'iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'fc', 'qty', 'app', 'cust']
    expect(Object.keys(JSON.parse(json))).toEqual(order)
  })

  it('stores the feature code as reported, less whitespace', async () => {
    const license = await issueLicense({ ...TERMS, fc: ' ab-cd ef ' }, signingKey, { now })
    const { claims } = inspectLicense(license)
    expect(claims.fc).toBe('ab-cdef')
  })

  it('issues the same text for the same key, terms and time (Ed25519 is deterministic)', async () => {
    const first = await issueLicense(TERMS, signingKey, { now })
    expect(await issueLicense(TERMS, signingKey, { now })).toBe(first)
  })

  it('defaults iat to the current time', async () => {
    const before = Math.floor(Date.now() / 1000)
    const { claims } = inspectLicense(await issueLicense({ ...TERMS, exp: before + 3600 }, signingKey))
    expect(claims.iat).toBeGreaterThanOrEqual(before)
    expect(claims.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
  })

  it('accepts an empty company (a private customer)', async () => {
    expect(await problemsOf({ ...TERMS, cust: { ...TERMS.cust, company: '' } })).toBeUndefined()
  })

  it.each([
    ['an empty feature code', { fc: ' - ' }, { fc: 'MISSING' }],
    ['a non-ASCII feature code', { fc: 'ＡＢＣ' }, { fc: 'INVALID' }],
    ['a feature code over 256 characters', { fc: 'A'.repeat(257) }, { fc: 'TOO_LONG' }],
    ['a zero quantity', { qty: 0 }, { qty: 'NOT_POSITIVE_INTEGER' }],
    ['a fractional quantity', { qty: 1.5 }, { qty: 'NOT_POSITIVE_INTEGER' }],
    ['an unsafe quantity', { qty: 2 ** 53 }, { qty: 'NOT_POSITIVE_INTEGER' }],
    ['a quantity given as text', { qty: '5' }, { qty: 'NOT_POSITIVE_INTEGER' }],
    ['exp equal to nbf', { exp: TERMS.nbf }, { exp: 'NOT_AFTER_NBF' }],
    ['exp before nbf', { exp: TERMS.nbf - 1 }, { exp: 'NOT_AFTER_NBF' }],
    ['exp already past', { nbf: ISSUED - 7200, exp: ISSUED - 3600 }, { exp: 'ALREADY_EXPIRED' }],
    ['nbf in milliseconds by mistake', { nbf: 1.5 }, { nbf: 'INVALID' }],
    ['an issuer that is not an origin', { iss: 'https://licenses.example.com/' }, { iss: 'INVALID' }],
    ['an issuer with another scheme', { iss: 'ftp://licenses.example.com' }, { iss: 'INVALID' }],
    ['an empty license id', { sub: '' }, { sub: 'MISSING' }],
    ['a product id with surrounding spaces', { aud: ' acme-cad' }, { aud: 'INVALID' }],
    ['an application id with a control character', { app: 'app\n1' }, { app: 'INVALID' }],
    ['an over-long application id', { app: 'a'.repeat(129) }, { app: 'TOO_LONG' }],
    ['no customer', { cust: null }, { cust: 'MISSING' }],
    ['a blank customer name', { cust: { ...TERMS.cust, name: '  ' } }, { 'cust.name': 'MISSING' }],
    ['a malformed email', { cust: { ...TERMS.cust, email: 'a.example.cn' } }, { 'cust.email': 'INVALID' }],
  ])('refuses %s with INVALID_LICENSE_TERMS', async (_, change, fields) => {
    expect(await problemsOf({ ...TERMS, ...change })).toEqual(fields)
  })

  it('names every bad field at once', async () => {
    const error = await issueLicense({ ...TERMS, fc: '', qty: -1 }, signingKey, { now }).catch((e) => e)
    expect(error).toBeInstanceOf(LicenseTermsError)
    expect(error.code).toBe('INVALID_LICENSE_TERMS')
    expect(error.fields).toEqual({ fc: 'MISSING', qty: 'NOT_POSITIVE_INTEGER' })
    expect(error.message).toBe('invalid license terms: fc MISSING, qty NOT_POSITIVE_INTEGER')
  })

  it('refuses a signing key that was not imported', async () => {
    const forged = { kid: 'x', key: {} as CryptoKey }
    await expect(issueLicense(TERMS, forged, { now })).rejects.toThrow(TypeError)
  })

  it('refuses an invalid now', async () => {
    await expect(issueLicense(TERMS, signingKey, { now: Number.NaN })).rejects.toThrow(TypeError)
  })
})
