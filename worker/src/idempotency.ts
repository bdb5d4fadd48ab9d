// The Idempotency-Key of POST /api/applications (docs/api.md): the header's rule, the hash of the
// validated request it is bound to, and what a repeated key means. Pure apart from hashing.
import type { SubmitIdempotency } from './db/submit-idempotency.ts'
import { IdempotencyKeyReusedError, InvalidIdempotencyKeyError } from './errors.ts'
import { sha256Hex } from './ids.ts'
import type { ApplicationInput } from './validation.ts'

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key'

const KEY = /^[A-Za-z0-9_-]{1,128}$/

/** The header's key, null when it is absent; 400 INVALID_IDEMPOTENCY_KEY when malformed. */
export function parseIdempotencyKey(raw: string | undefined): string | null {
  if (raw === undefined) return null
  if (!KEY.test(raw)) throw new InvalidIdempotencyKeyError()
  return raw
}

/**
 * SHA-256 of the validated application (canonical values, sorted members), so a retry that differs
 * only in spelling the worker normalises (spaces, a quantity sent as a string) is the same request.
 */
export function hashApplicationInput(input: ApplicationInput): Promise<string> {
  const members = Object.keys(input).sort()
  return sha256Hex(JSON.stringify(input, members))
}

/**
 * What a live record of the key means for a request with `requestHash`: the application to answer
 * again, or 409 IDEMPOTENCY_KEY_REUSED when the key came with another body.
 */
export function replayedApplicationId(record: SubmitIdempotency, requestHash: string): string {
  if (record.requestHash !== requestHash) throw new IdempotencyKeyReusedError()
  return record.applicationId
}
