// Resend's Idempotency-Key semantics (platform.md): kept 24 h per API key; the same key with the
// same payload replays the first answer, with another payload is 409 invalid_idempotent_request,
// and while the first is still in flight is 409 concurrent_idempotent_requests.
import { createHash } from 'node:crypto'
import type { MailError } from './mail-errors.ts'
import { mailErrors } from './mail-errors.ts'
import type { IdempotencyEntry } from './state.ts'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
export const MAX_IDEMPOTENCY_KEY = 256

/** Stable over key order, so a re-serialised identical payload matches. */
export function fingerprint(value: unknown): string {
  const canonical = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(canonical)
    if (item && typeof item === 'object') {
      return Object.fromEntries(Object.keys(item as object).sort().map((key) => [key, canonical((item as Record<string, unknown>)[key])]))
    }
    return item
  }
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex')
}

export function validKey(key: string): boolean {
  return key.length >= 1 && key.length <= MAX_IDEMPOTENCY_KEY
}

export type Claim =
  | { kind: 'new'; entry: IdempotencyEntry }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'conflict'; error: MailError }

/** Looks the key up; a new key is recorded as in flight until `complete` or `release`. */
export function claim(store: Map<string, IdempotencyEntry>, scope: string, print: string, now: number): Claim {
  const existing = store.get(scope)
  if (existing && now - existing.createdAt < IDEMPOTENCY_TTL_MS) {
    if (existing.fingerprint !== print) return { kind: 'conflict', error: mailErrors.idempotencyMismatch() }
    if (!existing.done) return { kind: 'conflict', error: mailErrors.idempotencyConcurrent() }
    return { kind: 'replay', status: existing.status as number, body: existing.body }
  }
  const entry: IdempotencyEntry = { fingerprint: print, createdAt: now, done: false }
  store.set(scope, entry)
  return { kind: 'new', entry }
}

export function complete(entry: IdempotencyEntry, status: number, body: unknown): void {
  Object.assign(entry, { done: true, status, body })
}

/** Forgets a key whose request failed before doing anything, so a retry may use it again. */
export function release(store: Map<string, IdempotencyEntry>, scope: string, entry: IdempotencyEntry): void {
  if (store.get(scope) === entry) store.delete(scope)
}
