import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { armorLicense } from './armor.ts'
import { LicenseError } from './errors.ts'
import { inspectLicense } from './inspect.ts'
import { issueLicense } from './issue.ts'
import { ISSUED, keyFixture, TERMS } from './test-fixtures.ts'

const { signingKey, kid } = await keyFixture()

describe('inspectLicense', () => {
  it('returns header and claims without needing any key', async () => {
    const license = await issueLicense(TERMS, signingKey, { now: ISSUED * 1000 })
    expect(inspectLicense(license)).toEqual({
      header: { alg: 'EdDSA', kid, typ: 'license+jwt' },
      claims: { ...TERMS, iat: ISSUED, v: 1 },
    })
  })

  it('shows a license whose signature is broken (it verifies nothing)', () => {
    const header = base64url.encode(JSON.stringify({ alg: 'EdDSA', kid: 'k' }))
    const claims = base64url.encode(JSON.stringify({ v: 9 }))
    expect(inspectLicense(armorLicense(`${header}.${claims}.AAAA`)).claims).toEqual({ v: 9 })
  })

  it.each([
    ['no armor', 'just text'],
    ['claims that are not JSON', armorLicense(`${base64url.encode('{}')}.${base64url.encode('nope')}.AAAA`)],
    ['claims that are not an object', armorLicense(`${base64url.encode('{}')}.${base64url.encode('[1]')}.AAAA`)],
    ['a header that is not UTF-8', armorLicense(`${base64url.encode(new Uint8Array([0xff, 0xfe]))}.e30.AAAA`)],
  ])('rejects %s with BAD_ARMOR', (_, text) => {
    expect(() => inspectLicense(text)).toThrow(LicenseError)
    try {
      inspectLicense(text)
    } catch (error) {
      expect((error as LicenseError).code).toBe('BAD_ARMOR')
    }
  })
})
