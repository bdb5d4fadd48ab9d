// Identifiers: random ids, SHA-256 hashing and constant-time comparison.

// Crockford base32: no I, L, O, U, so ids read aloud or typed from an email stay unambiguous.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** `prefix` + `length` random base32 characters (5 bits each), e.g. `LD-7K3M9Q2X4P0B`. */
export function randomId(prefix: string, length = 12): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = prefix
  for (const byte of bytes) out += ALPHABET[byte & 31]
  return out
}

export const newApplicationId = (): string => randomId('LD-')
export const newLicenseId = (): string => randomId('LIC-')
export const newDeliveryId = (): string => randomId('DLV-')
export const newEventId = (): string => randomId('EVT-', 16)

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** Compares two strings without an early exit on the first difference (digests, tokens). */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0)
  return diff === 0
}
