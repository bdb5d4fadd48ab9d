// Reading and checking Ed25519 JWKs (RFC 8037) for licenses: JSON text or objects, single keys or
// JWK Sets, with `kid` always the RFC 7638 thumbprint so a license names its key unambiguously.
import { calculateJwkThumbprint, type JSONWebKeySet, type JWK } from 'jose'

/** One JWK or a JWK Set, as an object or as JSON text. */
export type JwkInput = JWK | JSONWebKeySet | string

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parse(input: JwkInput, what: string): unknown {
  if (typeof input !== 'string') return input
  try {
    return JSON.parse(input)
  } catch {
    throw new TypeError(`${what} is not valid JSON`)
  }
}

/** The JWKs in `input`; a TypeError naming `what` when it is neither a JWK nor a JWK Set. */
export function readJwks(input: JwkInput, what: string): JWK[] {
  const value = parse(input, what)
  if (isObject(value) && 'keys' in value) {
    if (!Array.isArray(value.keys) || !value.keys.every(isObject)) {
      throw new TypeError(`${what} is not a JWK Set: "keys" must be an array of JWKs`)
    }
    return value.keys as JWK[]
  }
  if (isObject(value) && 'kty' in value) return [value as JWK]
  throw new TypeError(`${what} must be a JWK or a JWK Set ({"keys": [...]})`)
}

/** The one JWK in `input` (object or JSON text); a JWK Set is refused. */
export function readJwk(input: JWK | string, what: string): JWK {
  const value = parse(input, what)
  if (isObject(value) && 'kty' in value) return value as JWK
  throw new TypeError(`${what} must be a single JWK (an object with "kty")`)
}

/** Throws a TypeError unless `jwk` is an Ed25519 key, private when `needPrivate`. */
export function assertEd25519(jwk: JWK, what: string, needPrivate: boolean): void {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || jwk.x === '') {
    throw new TypeError(`${what} must be an Ed25519 JWK (kty "OKP", crv "Ed25519", x)`)
  }
  if (needPrivate && (typeof jwk.d !== 'string' || jwk.d === '')) {
    throw new TypeError(`${what} is a public key; signing needs the private JWK (with "d")`)
  }
  if (jwk.alg !== undefined && jwk.alg !== 'EdDSA' && jwk.alg !== 'Ed25519') {
    throw new TypeError(`${what} is for alg ${String(jwk.alg)}, not EdDSA`)
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new TypeError(`${what} is not a signing key (use "${jwk.use}")`)
  }
}

/** The RFC 7638 thumbprint of `jwk`; a TypeError when its own `kid` says otherwise. */
export async function thumbprintKid(jwk: JWK, what: string): Promise<string> {
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'sha256')
  if (jwk.kid !== undefined && jwk.kid !== kid) {
    throw new TypeError(`${what}: kid "${jwk.kid}" is not the key's RFC 7638 thumbprint "${kid}"`)
  }
  return kid
}

/** The public half of an Ed25519 JWK, as served: {kty, crv, x, kid, alg, use}. */
export function publicMembers(jwk: JWK, kid: string): JWK {
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA', use: 'sig' }
}
