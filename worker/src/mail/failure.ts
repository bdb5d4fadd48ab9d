// What a failed Resend send means for its delivery (resend.com/docs/api-reference/errors). Pure:
// the answer's status and error name in, the outbox's next step out.

export type MailFailure = { statusCode: number | null; name: string }

/** A run stops sending after one of these: the provider is throttling or failing, more sends only add to it. */
export const haltsRun = (failure: MailFailure, kind: MailFailureKind): boolean =>
  kind === 'rate_limited' || (kind === 'retry' && (failure.statusCode === null || failure.statusCode >= 500))

/**
 * - `retry`: try again (network, 408, 5xx, anything unrecognised): every run for the first hour,
 *   then backing off (backoff.ts), given up when the delivery is a day old.
 * - `rate_limited`: 429 — Resend's rate limit: try at `retry-after`, not a failed attempt.
 * - `retry_soon`: 409 concurrent_idempotent_requests — our previous attempt is still in flight at
 *   Resend; the next run gets its answer.
 * - `misconfigured`: 401/403 (bad or restricted API key, unverified domain). An operator fixes
 *   these; the same payload will then go through, so keep backing off, but alert.
 * - `payload_changed`: 409 invalid_idempotent_request — the payload changed under the same
 *   Idempotency-Key (e.g. STATUS_TOKEN_SECRET or MAIL_FROM changed between attempts). Fail.
 * - `permanent`: any other 4xx (422 validation_error, 400, 404, 413 …): this payload will never
 *   be accepted. Fail at once.
 */
export type MailFailureKind = 'retry' | 'rate_limited' | 'retry_soon' | 'misconfigured' | 'payload_changed' | 'permanent'

export function classifyMailFailure(failure: MailFailure): MailFailureKind {
  const { statusCode, name } = failure
  if (statusCode === null || !Number.isInteger(statusCode)) return 'retry'
  if (statusCode === 409) {
    if (name === 'concurrent_idempotent_requests') return 'retry_soon'
    if (name === 'invalid_idempotent_request') return 'payload_changed'
    return 'retry'
  }
  if (statusCode === 401 || statusCode === 403) return 'misconfigured'
  if (statusCode === 429) return 'rate_limited'
  if (statusCode === 408) return 'retry'
  if (statusCode >= 400 && statusCode < 500) return 'permanent'
  return 'retry'
}

/** True when the delivery must be given up now, whatever attempt this was. */
export const isFinalFailure = (kind: MailFailureKind): boolean => kind === 'permanent' || kind === 'payload_changed'
