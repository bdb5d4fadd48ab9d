// The published test vectors (docs/license-vectors.json) are what the generator builds, every case
// gets its stated verdict from our verifier, and node:crypto agrees on every signature.
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { LICENSE_ERROR_CODES, LicenseError, verifyLicense } from '../src/index.ts'
import { verifyRevocationList } from '../src/index.ts'
import { buildVectors, type LicenseVectors, type VectorCase } from './build.ts'

const FILE = new URL('../../docs/license-vectors.json', import.meta.url)
const published: LicenseVectors = JSON.parse(readFileSync(FILE, 'utf8'))

async function verdict(test: VectorCase) {
  try {
    const keys = published.jwks[test.jwks]
    const revocations =
      test.revocations === undefined
        ? undefined
        : await verifyRevocationList(published.revocationLists[test.revocations], keys, {
            now: test.now * 1000,
            clockSkew: test.clockSkew,
            maxAge: test.revocationsMaxAge,
          })
    const claims = await verifyLicense(published.licenses[test.license], {
      keys,
      revocations,
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

function signatureHolds(text: string): boolean {
  const armored = /-----BEGIN LICENSE-----([\s\S]*?)-----END LICENSE-----/.exec(text)
  const jws = armored ? armored[1] : text
  const [header, payload, signature] = jws.replace(/\s/g, '').split('.')
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString())
  const jwk = Object.values(published.keys).find((key) => key.publicJwk.kid === kid)!.publicJwk
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' })
  const input = Buffer.from(`${header}.${payload}`)
  return verifySignature(null, input, key, Buffer.from(signature, 'base64url'))
}

describe('published license test vectors', () => {
  it('are exactly what license/vectors/generate.ts builds (deterministic, up to date)', async () => {
    expect(published).toEqual(await buildVectors())
  })

  it('cover every verdict code and VALID', () => {
    const verdicts = new Set(published.cases.map((test) => test.expect))
    expect([...verdicts].sort()).toEqual(['VALID', ...LICENSE_ERROR_CODES].sort())
  })

  it('use test keys whose d is SHA-256 of the published seed label', () => {
    for (const key of Object.values(published.keys)) {
      expect(key.privateJwk.d).toBe(createHash('sha256').update(key.seedLabel).digest('base64url'))
    }
  })

  const cases = published.cases.map((test) => [`${test.name} → ${test.expect}`, test] as const)
  it.each(cases)('%s', async (_, test) => {
    const result = await verdict(test)
    expect(result.expect).toBe(test.expect)
    if (test.expect === 'VALID') expect(result).toEqual({ expect: 'VALID', claims: test.claims })
  })

  it('include the revocation list that docs/license-format.md shows as its example', () => {
    const doc = readFileSync(new URL('../../docs/license-format.md', import.meta.url), 'utf8')
    expect(doc).toContain(`\n${published.revocationLists.revokesValid}\n`)
  })

  it('agree with node:crypto on which signatures hold', () => {
    const { valid, rewrapped, signedByB, tamperedClaims, version2, wrongTyp } = published.licenses
    const signed = [valid, rewrapped, signedByB, version2, wrongTyp]
    expect(signed.map(signatureHolds)).toEqual([true, true, true, true, true])
    expect(signatureHolds(tamperedClaims)).toBe(false)
    const { revokesValid, signedByB: listByB, tampered } = published.revocationLists
    expect([revokesValid, listByB].map(signatureHolds)).toEqual([true, true])
    expect(signatureHolds(tampered)).toBe(false)
  })
})
