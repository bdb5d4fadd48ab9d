// The applicant's private status token: base64url(HMAC-SHA256(STATUS_TOKEN_SECRET,
// "status-token:v1:" + applicationId)). Derived, never stored, so every mail can carry the link.
// Stable format: changing the label or the secret invalidates every link already sent.
import { base64url } from 'jose'
import { sha256Hex, timingSafeEqual } from './ids.ts'

const LABEL = 'status-token:v1:'

/** What `access_token_hash` holds for applications whose token is derived (docs/storage.md). */
export const DERIVED_TOKEN_MARKER = 'derived:status-token:v1'

const LEGACY_HASH = /^[0-9a-f]{64}$/

/** Imports the secret as an HMAC-SHA256 key (done once, at config parse). */
export function importStatusTokenKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
}

export async function deriveStatusToken(key: CryptoKey, applicationId: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${LABEL}${applicationId}`))
  return base64url.encode(new Uint8Array(mac))
}

/** `${origin}/status/${id}?t=${token}`: the page's status route with the access token. */
export async function statusUrlOf(origin: string, key: CryptoKey, applicationId: string): Promise<string> {
  return `${origin}/status/${applicationId}?t=${await deriveStatusToken(key, applicationId)}`
}

/**
 * True when `token` opens the status of `applicationId`: it equals the recomputed token (compared
 * in constant time), or — for applications created before tokens were derived — its SHA-256
 * matches the stored hash. A wrong, tampered or missing token is false.
 */
export async function verifyStatusToken(
  key: CryptoKey,
  applicationId: string,
  token: string,
  storedHash: string | null,
): Promise<boolean> {
  if (token === '') return false
  const expected = await deriveStatusToken(key, applicationId)
  if (timingSafeEqual(expected, token)) return true
  if (storedHash === null || !LEGACY_HASH.test(storedHash)) return false
  return timingSafeEqual(await sha256Hex(token), storedHash)
}
