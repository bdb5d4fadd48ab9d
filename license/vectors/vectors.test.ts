// The published test vectors (docs/license-vectors.json) are what the generator builds, every case
// gets its stated verdict from our verifier, and node:crypto agrees on every signature.
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { LicenseError, verifyLicense } from '../src/index.ts'
import { buildVectors, type LicenseVectors } from './build.ts'

const published: LicenseVectors = JSON.parse(
  readFileSync(new URL('../../docs/license-vectors.json', import.meta.url), 'utf8'),
)

async function verdict(test: LicenseVectors['cases'][number]) {
  try {
    const claims = await verifyLicense(published.licenses[test.license], {
      keys: published.jwks[test.jwks],
      product: test.product,
      featureCode: test.featureCode,
      now: test.now * 1000,
      lastSeen: test.lastSeen === undefined ? undefined : test.lastSeen * 1000,
      clockSkew: test.clockSkew,
    })
    return { expect: 'VALID', claims }
  } catch (error) {
    if (error instanceof LicenseError) return { expect: error.code }
    throw error
  }
}

describe('published license test vectors', () => {
  it('are exactly what license/vectors/generate.ts builds (deterministic, up to date)', async () => {
    expect(published).toEqual(await buildVectors())
  })

  it('cover every verdict code and VALID', () => {
    const verdicts = new Set(published.cases.map((test) => test.expect))
    expect([...verdicts].sort()).toEqual(
      ['VALID', 'BAD_ARMOR', 'BAD_SIGNATURE', 'UNKNOWN_KEY', 'UNSUPPORTED_VERSION', 'WRONG_PRODUCT',
        'WRONG_FEATURE_CODE', 'NOT_YET_VALID', 'EXPIRED', 'CLOCK_ROLLBACK'].sort(),
    )
  })

  it('use test keys whose d is SHA-256 of the published seed label', () => {
    for (const key of Object.values(published.keys)) {
      expect(key.privateJwk.d).toBe(createHash('sha256').update(key.seedLabel).digest('base64url'))
    }
  })

  it.each(published.cases.map((test) => [`${test.name} → ${test.expect}`, test] as const))('%s', async (_, test) => {
    const result = await verdict(test)
    expect(result.expect).toBe(test.expect)
    if (test.expect === 'VALID') expect(result).toEqual({ expect: 'VALID', claims: test.claims })
  })

  it('agree with node:crypto on which signatures hold', () => {
    const keys = Object.values(published.keys).map((key) => key.publicJwk)
    const holds = (armored: string) => {
      const jws = armored.slice(armored.indexOf('-----BEGIN LICENSE-----') + 23, armored.indexOf('-----END LICENSE-----'))
      const [header, payload, signature] = jws.replace(/\s/g, '').split('.')
      const kid = JSON.parse(Buffer.from(header, 'base64url').toString()).kid
      const jwk = keys.find((key) => key.kid === kid)!
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' })
      return verifySignature(null, Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))
    }
    const { valid, rewrapped, signedByB, tamperedClaims, version2, wrongTyp } = published.licenses
    expect([valid, rewrapped, signedByB, version2, wrongTyp].map(holds)).toEqual([true, true, true, true, true])
    expect(holds(tamperedClaims)).toBe(false)
  })
})
