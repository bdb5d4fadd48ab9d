// The renewal link's token: base64url(HMAC-SHA256(STATUS_TOKEN_SECRET, "renewal-token:v1:" +
// licenseId)), bound to one license. Derived, never stored, like the status token (status-token.ts),
// under its own label so neither opens the other. Stable format: changing it voids links sent.
import { base64url } from 'jose'
import { timingSafeEqual } from '../ids.ts'

const LABEL = 'renewal-token:v1:'

export async function deriveRenewalToken(key: CryptoKey, licenseId: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${LABEL}${licenseId}`))
  return base64url.encode(new Uint8Array(mac))
}

/** `${origin}/apply?renew=<licenseId>&t=<token>`: the apply page, prefilled from the license. */
export async function renewalUrlOf(origin: string, key: CryptoKey, licenseId: string): Promise<string> {
  const query = new URLSearchParams({ renew: licenseId, t: await deriveRenewalToken(key, licenseId) })
  return `${origin}/apply?${query}`
}

/** True when `token` is the renewal token of `licenseId` (compared in constant time). */
export async function verifyRenewalToken(key: CryptoKey, licenseId: string, token: string): Promise<boolean> {
  if (token === '' || licenseId === '') return false
  return timingSafeEqual(await deriveRenewalToken(key, licenseId), token)
}
