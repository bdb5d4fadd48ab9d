// Server-side Turnstile check of a submission (Cloudflare's siteverify): the token must verify for
// our secret, on our hostname, for the `apply` action. The idempotency_key is derived from the
// submission's own Idempotency-Key, so a retried submit re-verifies its token and gets the first
// answer instead of `timeout-or-duplicate`. Pure apart from the `fetch` it is given.

export const TURNSTILE_ACTION = 'apply'
/** The page sends the widget's token in this header (the application body stays the application). */
export const TURNSTILE_HEADER = 'cf-turnstile-response'
const MAX_TOKEN_LENGTH = 2048

export type TurnstileOptions = {
  verifyUrl: string
  secret: string
  /** The hostnames the widget may run on: the portal's own. */
  hostnames: readonly string[]
  fetch: typeof fetch
  timeoutMs?: number
}

export type TurnstileInput = { token: unknown; remoteIp?: string; idempotencyKey?: string | null }

/**
 * `TURNSTILE_REQUIRED` no token; `TURNSTILE_FAILED` refused (invalid, spent, expired, or made for
 * another site or action): get a new one; `TURNSTILE_UNAVAILABLE` siteverify could not be asked.
 */
export type TurnstileFailure = { ok: false; code: 'TURNSTILE_REQUIRED' | 'TURNSTILE_FAILED' | 'TURNSTILE_UNAVAILABLE'; reason: string }
export type TurnstileResult = { ok: true; hostname: string } | TurnstileFailure

/** A UUID (siteverify's idempotency_key format) derived from the submission's key: same key, same UUID. */
export async function idempotencyUuid(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`turnstile/${key}`)))
  const bytes = digest.slice(0, 16)
  bytes[6] = (bytes[6] & 0x0f) | 0x80 // version 8 (custom), RFC 9562
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export async function verifyTurnstile(options: TurnstileOptions, input: TurnstileInput): Promise<TurnstileResult> {
  const token = input.token
  if (typeof token !== 'string' || token === '') return { ok: false, code: 'TURNSTILE_REQUIRED', reason: 'no token' }
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, code: 'TURNSTILE_FAILED', reason: 'token too long' }
  const form = new URLSearchParams({ secret: options.secret, response: token })
  if (input.remoteIp) form.set('remoteip', input.remoteIp)
  if (input.idempotencyKey) form.set('idempotency_key', await idempotencyUuid(input.idempotencyKey))
  let answer: { success?: unknown; hostname?: unknown; action?: unknown; 'error-codes'?: unknown }
  try {
    const response = await options.fetch(options.verifyUrl, { method: 'POST', body: form, signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) })
    if (!response.ok) return { ok: false, code: 'TURNSTILE_UNAVAILABLE', reason: `siteverify answered ${response.status}` }
    answer = await response.json()
  } catch (error) {
    return { ok: false, code: 'TURNSTILE_UNAVAILABLE', reason: `siteverify: ${(error as Error)?.name ?? 'error'}` }
  }
  if (answer.success !== true) {
    const codes = Array.isArray(answer['error-codes']) ? answer['error-codes'].join(',') : 'unknown'
    // Our secret refused is our fault, not the applicant's: say so in the log, not to them.
    if (/invalid-input-secret|missing-input-secret/.test(codes)) return { ok: false, code: 'TURNSTILE_UNAVAILABLE', reason: codes }
    return { ok: false, code: 'TURNSTILE_FAILED', reason: codes }
  }
  if (typeof answer.hostname !== 'string' || !options.hostnames.includes(answer.hostname)) {
    return { ok: false, code: 'TURNSTILE_FAILED', reason: `hostname ${String(answer.hostname)}` }
  }
  if (answer.action !== TURNSTILE_ACTION) return { ok: false, code: 'TURNSTILE_FAILED', reason: `action ${String(answer.action)}` }
  return { ok: true, hostname: answer.hostname }
}
