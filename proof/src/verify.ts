// Verifies a proof in the order of docs/architecture.md; the jti is recorded only when all else passed.
import { base64url, compactVerify, errors as joseErrors } from 'jose'
import { bodyHash } from './body-hash.ts'
import { MAX_LIFETIME_SECONDS, PROOF_TYP } from './create.ts'
import { ProofError } from './errors.ts'
import type { PublicKeySet } from './keys.ts'
import type { ReplayStore } from './replay.ts'

export type ProofClaims = {
  aud: string
  iat: number
  exp: number
  jti: string
  htm: string
  htu: string
  bh: string
}

export type VerifyProofOptions = {
  keys: PublicKeySet
  aud: string
  method: string
  target: string
  body?: Uint8Array | string | null
  replay: ReplayStore
  /** Milliseconds since the epoch; defaults to `Date.now()`. */
  now?: number
  /** Seconds an `iat` may lie ahead of our clock; defaults to 5. */
  clockSkew?: number
  /**
   * Milliseconds since the epoch: a proof issued (`iat`, seconds) before this second is refused with
   * PROOF_PREDATES_PROXY. The proxy passes its start, so a proof captured before a restart (whose
   * replay store was lost with the process) cannot be replayed after it.
   */
  notBefore?: number
}

const decoder = new TextDecoder()
const MAX_PROOF_LENGTH = 4096

function decodeSegment(segment: string): Record<string, unknown> {
  const value: unknown = JSON.parse(decoder.decode(base64url.decode(segment)))
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('not an object')
  return value as Record<string, unknown>
}

function isClaims(value: Record<string, unknown>): value is ProofClaims {
  return (
    typeof value.aud === 'string' &&
    Number.isSafeInteger(value.iat) &&
    Number.isSafeInteger(value.exp) &&
    typeof value.jti === 'string' &&
    value.jti.length >= 16 &&
    value.jti.length <= 128 &&
    typeof value.htm === 'string' &&
    typeof value.htu === 'string' &&
    typeof value.bh === 'string'
  )
}

export async function verifyProof(token: string | null | undefined, options: VerifyProofOptions): Promise<ProofClaims> {
  if (!token) throw new ProofError('PROOF_MISSING', 'the request carries no proof')
  const parts = token.length <= MAX_PROOF_LENGTH ? token.split('.') : []
  if (parts.length !== 3) throw new ProofError('PROOF_MALFORMED', 'the proof is not a compact JWS')

  let header: Record<string, unknown>
  try {
    header = decodeSegment(parts[0])
  } catch (cause) {
    throw new ProofError('PROOF_MALFORMED', 'the proof header is not valid JSON', { cause })
  }
  if (header.alg !== 'EdDSA' || header.typ !== PROOF_TYP || typeof header.kid !== 'string' || header.crit !== undefined) {
    throw new ProofError('PROOF_MALFORMED', `the proof header must be {alg: EdDSA, typ: ${PROOF_TYP}, kid}`)
  }
  const key = options.keys.get(header.kid)
  if (!key) throw new ProofError('PROOF_UNKNOWN_KEY', 'the proof is signed by an unknown key')

  let payload: Uint8Array
  try {
    ;({ payload } = await compactVerify(token, key, { algorithms: ['EdDSA'] }))
  } catch (cause) {
    if (cause instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new ProofError('PROOF_BAD_SIGNATURE', 'the proof signature does not verify', { cause })
    }
    throw new ProofError('PROOF_MALFORMED', 'the proof cannot be parsed', { cause })
  }

  let claims: Record<string, unknown>
  try {
    claims = JSON.parse(decoder.decode(payload))
  } catch (cause) {
    throw new ProofError('PROOF_MALFORMED', 'the proof claims are not valid JSON', { cause })
  }
  if (!claims || typeof claims !== 'object' || !isClaims(claims)) {
    throw new ProofError('PROOF_MALFORMED', 'the proof lacks aud, iat, exp, jti, htm, htu or bh')
  }

  if (claims.aud !== options.aud) throw new ProofError('PROOF_WRONG_AUDIENCE', 'the proof is addressed to someone else')

  const now = Math.floor((options.now ?? Date.now()) / 1000)
  const skew = options.clockSkew ?? 5
  if (claims.iat > now + skew) throw new ProofError('PROOF_NOT_YET_VALID', 'the proof was issued in the future')
  if (claims.exp <= now) throw new ProofError('PROOF_EXPIRED', 'the proof has expired')
  if (claims.exp - claims.iat > MAX_LIFETIME_SECONDS || claims.exp <= claims.iat) {
    throw new ProofError('PROOF_TOO_LONG_LIVED', `a proof may live at most ${MAX_LIFETIME_SECONDS} s`)
  }
  if (options.notBefore !== undefined && claims.iat < Math.floor(options.notBefore / 1000)) {
    throw new ProofError('PROOF_PREDATES_PROXY', 'the proof was issued before this receiver started; sign a fresh one')
  }

  if (claims.htm !== options.method.toUpperCase()) throw new ProofError('PROOF_WRONG_METHOD', 'the proof is for another method')
  if (claims.htu !== options.target) throw new ProofError('PROOF_WRONG_TARGET', 'the proof is for another target')
  if (claims.bh !== (await bodyHash(options.body))) throw new ProofError('PROOF_BODY_MISMATCH', 'the body does not match the proof')

  if (!(await options.replay.remember(claims.jti, claims.exp))) {
    throw new ProofError('PROOF_REPLAYED', 'the proof has been used before')
  }
  return claims
}
