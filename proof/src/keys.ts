// Ed25519 keys for proofs: JWKs whose `kid` is the RFC 7638 thumbprint, so keys can rotate.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'

export type SigningKey = { kid: string; key: CryptoKey }
export type PublicKeySet = ReadonlyMap<string, CryptoKey>

export type Ed25519KeyPair = { privateJwk: JWK; publicJwk: JWK }

/** A new Ed25519 key pair as JWKs, both carrying `kid` (thumbprint) and `alg: "EdDSA"`. */
export async function generateEd25519Jwk(): Promise<Ed25519KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256')
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
  }
}

function parseJwkInput(input: string | JWK | { keys: JWK[] }, what: string): JWK[] {
  let value: unknown = input
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input)
    } catch {
      throw new TypeError(`${what} is not valid JSON`)
    }
  }
  if (value && typeof value === 'object' && Array.isArray((value as { keys?: unknown }).keys)) {
    return (value as { keys: JWK[] }).keys
  }
  if (value && typeof value === 'object') return [value as JWK]
  throw new TypeError(`${what} must be a JWK or a JWK Set`)
}

function assertEd25519(jwk: JWK, what: string, needPrivate: boolean): void {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new TypeError(`${what} must be an Ed25519 JWK (kty OKP, crv Ed25519)`)
  }
  if (needPrivate && typeof jwk.d !== 'string') throw new TypeError(`${what} has no private part (d)`)
  if (!needPrivate && jwk.d !== undefined) throw new TypeError(`${what} must not contain a private key`)
}

/** Imports a private Ed25519 JWK (JSON text or object) for signing proofs. */
export async function importSigningKey(input: string | JWK, what = 'private key'): Promise<SigningKey> {
  const [jwk] = parseJwkInput(input, what)
  assertEd25519(jwk, what, true)
  const { d: _d, ...pub } = jwk
  const kid = await calculateJwkThumbprint(pub, 'sha256')
  if (jwk.kid !== undefined && jwk.kid !== kid) throw new TypeError(`${what}: kid is not the key's RFC 7638 thumbprint`)
  const key = (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey
  return { kid, key }
}

/** Imports one public JWK or a JWK Set; the map is keyed by thumbprint. */
export async function importPublicKeys(input: string | JWK | { keys: JWK[] }, what = 'public key'): Promise<PublicKeySet> {
  const keys = new Map<string, CryptoKey>()
  for (const jwk of parseJwkInput(input, what)) {
    assertEd25519(jwk, what, false)
    const kid = await calculateJwkThumbprint(jwk, 'sha256')
    if (jwk.kid !== undefined && jwk.kid !== kid) throw new TypeError(`${what}: kid is not the key's RFC 7638 thumbprint`)
    keys.set(kid, (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey)
  }
  if (keys.size === 0) throw new TypeError(`${what} holds no key`)
  return keys
}
