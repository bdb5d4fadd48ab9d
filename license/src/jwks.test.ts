import { describe, expect, it } from 'vitest'
import { buildJwks } from './jwks.ts'
import { generateLicenseKeyPair } from './keys.ts'

const current = await generateLicenseKeyPair()
const retired = await generateLicenseKeyPair()

describe('buildJwks', () => {
  it('serves the public halves of the current key and a JWK Set, deduplicated by kid', async () => {
    const configured = JSON.stringify({ keys: [current.publicJwk, retired.publicJwk] })
    const jwks = await buildJwks([JSON.stringify(current.privateJwk), configured])
    expect(jwks).toEqual({ keys: [current.publicJwk, retired.publicJwk] })
    expect(JSON.stringify(jwks)).not.toContain('"d"')
  })

  it('strips members other than the public ones (private parts, key_ops, x5c)', async () => {
    const noisy = { ...retired.privateJwk, key_ops: ['sign'], x5c: ['MII'], kid: undefined }
    expect(await buildJwks([noisy])).toEqual({ keys: [retired.publicJwk] })
  })

  it('keeps the first occurrence order', async () => {
    const jwks = await buildJwks([retired.publicJwk, current.publicJwk, retired.privateJwk])
    expect(jwks.keys.map((key) => key.kid)).toEqual([retired.publicJwk.kid, current.publicJwk.kid])
  })

  it('returns an empty set for no input', async () => {
    expect(await buildJwks([])).toEqual({ keys: [] })
  })

  it.each([
    ['an RSA key', { kty: 'RSA', n: 'a', e: 'AQAB' }, /Ed25519/],
    ['an X25519 key', { kty: 'OKP', crv: 'X25519', x: 'abc' }, /Ed25519/],
    ['a kid that is not the thumbprint', { ...current.publicJwk, kid: 'k1' }, /thumbprint/],
    ['text that is not JSON', 'nope', /not valid JSON/],
  ])('rejects %s with a TypeError naming the entry', async (_, input, message) => {
    const error = await buildJwks([current.publicJwk, input as never]).catch((e) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toMatch(message)
    expect(error.message).toContain('#2')
  })
})
