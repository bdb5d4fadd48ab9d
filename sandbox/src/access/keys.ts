// Cloudflare Access's signing keys as the sandbox plays them: RSA 2048 pairs made at start, the
// certs document (`GET /cdn-cgi/access/certs`: `keys` as JWKs with kid/kty/alg/use/e/n) and
// rotation that keeps the previous key listed, as Access does (the old key stays valid 7 days).
// Written with node:crypto alone: the sandbox shares no code with the worker that verifies.
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto'

export type AccessJwk = { kid: string; kty: 'RSA'; alg: 'RS256'; use: 'sig'; e: string; n: string }
export type AccessKey = { kid: string; privateKey: KeyObject; publicKey: KeyObject; jwk: AccessJwk; createdAt: number }
export type AccessKeys = { listed: AccessKey[]; rotations: number }

/** The kid Access would show: 64 hex characters (here the SHA-256 of the RFC 7638 members). */
function kidOf(e: string, n: string): string {
  return createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('hex')
}

export function makeAccessKey(now: number): AccessKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
  const { e, n } = publicKey.export({ format: 'jwk' }) as { e: string; n: string }
  const kid = kidOf(e, n)
  return { kid, privateKey, publicKey, jwk: { kid, kty: 'RSA', alg: 'RS256', use: 'sig', e, n }, createdAt: now }
}

export function createAccessKeys(now: number): AccessKeys {
  return { listed: [makeAccessKey(now)], rotations: 0 }
}

/** The key new tokens are signed with. */
export const currentKey = (keys: AccessKeys): AccessKey => keys.listed[0]

/** A new current key; the previous one stays listed, the one before it is dropped. */
export function rotateAccessKeys(keys: AccessKeys, now: number): AccessKey {
  const next = makeAccessKey(now)
  keys.listed = [next, keys.listed[0]]
  keys.rotations += 1
  return next
}

/**
 * `GET /cdn-cgi/access/certs`. Access also sends `public_cert` / `public_certs` (the keys as PEM
 * X.509 certificates); the sandbox omits them (it would have to build certificates by hand), and
 * jose's `createRemoteJWKSet` reads `keys` only.
 */
export function certsDocument(keys: AccessKeys): { keys: AccessJwk[] } {
  return { keys: keys.listed.map((key) => key.jwk) }
}
