// License keys: import the signing key and the trusted public keys once, derive and generate key
// pairs. An imported key set is what makes verification fast (docs/license-format.md, "Keys").
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { assertEd25519, publicMembers, readJwk, readJwks, thumbprintKid } from './jwk.ts'
import type { JwkInput } from './jwk.ts'

export type LicenseSigningKey = { kid: string; key: CryptoKey }
/** Trusted public keys by `kid`, from importLicensePublicKeys. */
export type LicensePublicKeys = ReadonlyMap<string, CryptoKey>
export type LicenseKeyPair = { privateJwk: JWK; publicJwk: JWK }

const ED25519 = { name: 'Ed25519' }

async function importKey(jwk: JWK, what: string): Promise<CryptoKey> {
  try {
    return (await importJWK(jwk, 'EdDSA')) as CryptoKey
  } catch (cause) {
    // Node checks that d matches x; other runtimes leave that to the self-test below.
    const reason = jwk.d === undefined ? 'x is not an Ed25519 public key' : 'd and x do not match'
    throw new TypeError(`${what} cannot be imported: ${reason}`, { cause })
  }
}
const SELF_TEST = new TextEncoder().encode('licensedesk license key self-test')

/** Imports the private Ed25519 JWK that signs licenses; `kid` is its RFC 7638 thumbprint. */
export async function importLicenseSigningKey(jwk: JWK | string): Promise<LicenseSigningKey> {
  const what = 'license signing key'
  const privateJwk = readJwk(jwk, what)
  assertEd25519(privateJwk, what, true)
  const kid = await thumbprintKid(privateJwk, what)
  const { kty, crv, x, d } = privateJwk
  const key = await importKey({ kty, crv, x, d }, what)
  // A JWK whose d and x disagree would sign licenses that no product accepts: refuse it now.
  const publicKey = await importKey({ kty, crv, x }, what)
  const signature = await crypto.subtle.sign(ED25519, key, SELF_TEST)
  if (!(await crypto.subtle.verify(ED25519, publicKey, signature, SELF_TEST))) {
    throw new TypeError(`${what}: the private part (d) does not match the public part (x)`)
  }
  return { kid, key }
}

/** Imports trusted public keys (a JWK Set, one JWK, or their JSON) once, for many verifications. */
export async function importLicensePublicKeys(input: JwkInput): Promise<LicensePublicKeys> {
  const keys = new Map<string, CryptoKey>()
  for (const [index, jwk] of readJwks(input, 'license public keys').entries()) {
    const what = `license public key #${index + 1}`
    assertEd25519(jwk, what, false)
    if (jwk.d !== undefined) throw new TypeError(`${what} holds a private key ("d"): never ship it`)
    const kid = await thumbprintKid(jwk, what)
    keys.set(kid, await importKey({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, what))
  }
  if (keys.size === 0) throw new TypeError('license public keys: the set holds no key')
  return keys
}

/** The public JWK (with `kid`) of a private Ed25519 JWK. */
export async function publicJwkFromPrivate(jwk: JWK | string): Promise<JWK> {
  const privateJwk = readJwk(jwk, 'private key')
  assertEd25519(privateJwk, 'private key', false)
  return publicMembers(privateJwk, await thumbprintKid(privateJwk, 'private key'))
}

/** A new license key pair as JWKs, both carrying `kid`, `alg: "EdDSA"` and `use: "sig"`. */
export async function generateLicenseKeyPair(): Promise<LicenseKeyPair> {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
  const { kty, crv, x, d } = await exportJWK(privateKey)
  const publicJwk = await publicJwkFromPrivate({ kty, crv, x })
  return { privateJwk: { kty, crv, x, d, kid: publicJwk.kid, alg: 'EdDSA', use: 'sig' }, publicJwk }
}
