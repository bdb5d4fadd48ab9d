import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { armorLicense } from './armor.ts'
import { LicenseError } from './errors.ts'
import { inspectLicense } from './inspect.ts'
import { issueLicense } from './issue.ts'
import { ISSUED, keyFixture, TERMS } from './test-fixtures.ts'

const { signingKey, kid } = await keyFixture()
const json = (value: string) => base64url.encode(value)

describe('inspectLicense', () => {
  it('returns header and claims without needing any key', async () => {
    const license = await issueLicense(TERMS, signingKey, { now: ISSUED * 1000 })
    expect(inspectLicense(license)).toEqual({
      header: { alg: 'EdDSA', kid, typ: 'license+jwt' },
      claims: { ...TERMS, iat: ISSUED, v: 1 },
    })
  })

  it('shows a license whose signature is broken (it verifies nothing)', () => {
    const license = armorLicense(`${json('{"alg":"EdDSA","kid":"k"}')}.${json('{"v":9}')}.AAAA`)
    expect(inspectLicense(license).claims).toEqual({ v: 9 })
  })

  it.each([
    ['no armor', 'just text'],
    ['claims that are not JSON', armorLicense(`${json('{}')}.${json('nope')}.AAAA`)],
    ['claims that are not an object', armorLicense(`${json('{}')}.${json('[1]')}.AAAA`)],
    ['a header that is not UTF-8', armorLicense(`${base64url.encode(new Uint8Array([255]))}.e30.AAAA`)],
  ])('rejects %s with BAD_ARMOR', (_, text) => {
    let error: unknown
    try {
      inspectLicense(text)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(LicenseError)
    expect((error as LicenseError).code).toBe('BAD_ARMOR')
  })
})
