// `bh`: base64url SHA-256 of the exact body bytes, so a proof covers what is sent.
import { base64url } from 'jose'

const encoder = new TextEncoder()

export async function bodyHash(body: Uint8Array | string | undefined | null): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : (body ?? new Uint8Array())
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  return base64url.encode(new Uint8Array(digest))
}
