// Signs a one-time proof for one request: audience, method, target and body hash (docs/architecture.md).
import { base64url, CompactSign } from 'jose'
import { bodyHash } from './body-hash.ts'
import type { SigningKey } from './keys.ts'

export const PROOF_TYP = 'proof+jwt'
export const MAX_LIFETIME_SECONDS = 60

export type CreateProofOptions = {
  key: SigningKey
  aud: string
  method: string
  /** Path and query as the receiver will see them, e.g. `/relay/api/v1.0/x?y=1`. */
  target: string
  body?: Uint8Array | string | null
  /** Milliseconds since the epoch; defaults to `Date.now()`. */
  now?: number
  /** Seconds the proof stays valid (1–60); defaults to 30. */
  ttl?: number
  jti?: string
}

const encoder = new TextEncoder()

export async function createProof(options: CreateProofOptions): Promise<string> {
  const ttl = options.ttl ?? 30
  if (!(ttl > 0 && ttl <= MAX_LIFETIME_SECONDS)) throw new RangeError('ttl must be within 1..60 seconds')
  const iat = Math.floor((options.now ?? Date.now()) / 1000)
  const claims = {
    aud: options.aud,
    iat,
    exp: iat + ttl,
    jti: options.jti ?? base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
    htm: options.method.toUpperCase(),
    htu: options.target,
    bh: await bodyHash(options.body),
  }
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: options.key.kid, typ: PROOF_TYP })
    .sign(options.key.key)
}
