import { calculateJwkThumbprint, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { generateLicenseKeyPair, importLicensePublicKeys } from './keys.ts'
import { importLicenseSigningKey, publicJwkFromPrivate } from './keys.ts'

const { privateJwk, publicJwk } = await generateLicenseKeyPair()
const other = await generateLicenseKeyPair()

describe('generateLicenseKeyPair', () => {
  it('makes an Ed25519 pair whose kid is the RFC 7638 thumbprint', async () => {
    const members = { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x }
    const kid = await calculateJwkThumbprint(members, 'sha256')
    expect(publicJwk).toEqual({ ...members, kid, alg: 'EdDSA', use: 'sig' })
    expect(privateJwk).toMatchObject({ ...publicJwk, d: expect.any(String) })
  })

  it('makes a different key each time', () => {
    expect(other.publicJwk.kid).not.toBe(publicJwk.kid)
  })
})

describe('importLicenseSigningKey', () => {
  it('imports a private JWK given as JSON text or object, with kid = thumbprint', async () => {
    expect((await importLicenseSigningKey(JSON.stringify(privateJwk))).kid).toBe(publicJwk.kid)
    const { kid: _kid, ...withoutKid } = privateJwk
    const imported = await importLicenseSigningKey(withoutKid)
    expect(imported.kid).toBe(publicJwk.kid)
    expect(imported.key.type).toBe('private')
  })

  it.each([
    ['a kid that is not the thumbprint', { ...privateJwk, kid: 'k1' }, /not the key's RFC 7638 thumbprint/],
    ['a public key', publicJwk, /needs the private JWK/],
    ['a P-256 key', { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }, /must be an Ed25519 JWK/],
    ['a key for another algorithm', { ...privateJwk, alg: 'ES256' }, /not EdDSA/],
    ['an encryption key', { ...privateJwk, use: 'enc' }, /not a signing key/],
    ['a JWK Set', { keys: [privateJwk] }, /single JWK/],
    ['text that is not JSON', '{"kty":', /not valid JSON/],
    ['a d of another key', { ...privateJwk, d: other.privateJwk.d }, /d and x do not match/],
    ['a d of the wrong length', { ...privateJwk, d: 'AAAA' }, /cannot be imported|do not match/],
  ])('refuses %s with a TypeError', async (_, input, message) => {
    const error = await importLicenseSigningKey(input as JWK).catch((e) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toMatch(message)
  })
})

describe('importLicensePublicKeys', () => {
  it('imports a JWK Set, one JWK or their JSON, keyed by thumbprint', async () => {
    const set = { keys: [publicJwk, other.publicJwk] }
    for (const input of [set, JSON.stringify(set)]) {
      const keys = await importLicensePublicKeys(input)
      expect([...keys.keys()]).toEqual([publicJwk.kid, other.publicJwk.kid])
    }
    expect([...(await importLicensePublicKeys(publicJwk)).keys()]).toEqual([publicJwk.kid])
  })

  it.each([
    ['an empty set', { keys: [] }, /holds no key/],
    ['a private key', { keys: [privateJwk] }, /private key/],
    ['a set whose keys are not JWKs', { keys: 'x' }, /not a JWK Set/],
    ['a wrong kid', { keys: [{ ...publicJwk, kid: other.publicJwk.kid }] }, /thumbprint/],
    ['an RSA key', { keys: [{ kty: 'RSA', n: 'a', e: 'AQAB' }] }, /Ed25519/],
    ['an x of the wrong length', { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, /not an Ed25519 public/],
    ['something else', [publicJwk], /JWK or a JWK Set/],
  ])('refuses %s with a TypeError', async (_, input, message) => {
    const error = await importLicensePublicKeys(input as JWK).catch((e) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toMatch(message)
  })
})

describe('publicJwkFromPrivate', () => {
  it('returns only the public members and the kid', async () => {
    expect(await publicJwkFromPrivate(privateJwk)).toEqual(publicJwk)
    expect(await publicJwkFromPrivate(JSON.stringify(privateJwk))).not.toHaveProperty('d')
  })
})
