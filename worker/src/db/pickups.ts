// Data access for `pickups` (worker/migrations/0018, 0021, docs/pickup.md). Only the device code's
// SHA-256 is stored; the user code is stored normalised (normalizeUserCode).

import { USER_CODE_ALPHABET, USER_CODE_LENGTH } from '../contract/user-code.ts'

export { displayUserCode, parseTypedUserCode, USER_CODE_ALPHABET, USER_CODE_LENGTH } from '../contract/user-code.ts'

/** How long a bound pickup may still be polled: a person decides, which can take days. */
export const BOUND_PICKUP_TTL_MS = 7 * 86_400_000

export type Pickup = {
  deviceCodeHash: string
  userCode: string
  product: string
  featureCode: string
  createdAt: number
  expiresAt: number
  intervalMs: number
  lastPollAt: number | null
  applicationId: string | null
  boundAt: number | null
  consumedAt: number | null
  /** The license the pickup's application renews (migration 0021), or null: a new license. */
  renewsLicenseId: string | null
}

type PickupRow = {
  device_code_hash: string
  user_code: string
  product: string
  feature_code: string
  created_at: number
  expires_at: number
  interval_ms: number
  last_poll_at: number | null
  application_id: string | null
  bound_at: number | null
  consumed_at: number | null
  renews_license_id?: string | null
}

const toPickup = (row: PickupRow): Pickup => ({
  deviceCodeHash: row.device_code_hash,
  userCode: row.user_code,
  product: row.product,
  featureCode: row.feature_code,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  intervalMs: row.interval_ms,
  lastPollAt: row.last_poll_at,
  applicationId: row.application_id,
  boundAt: row.bound_at,
  consumedAt: row.consumed_at,
  renewsLicenseId: row.renews_license_id ?? null,
})

/** A user code as people type it (any case, with or without the dash) in its stored form. */
export const normalizeUserCode = (input: string): string => input.replaceAll('-', '').toUpperCase()

/** A fresh user code: 8 of the 20 consonants, uniform (bytes ≥ 240 are drawn again). */
export function newUserCode(): string {
  let out = ''
  while (out.length < USER_CODE_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
      if (byte < 240 && out.length < USER_CODE_LENGTH) out += USER_CODE_ALPHABET[byte % 20]
    }
  }
  return out
}

/** A fresh device code: 32 random bytes, base64url (256 bits). */
export function newDeviceCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** INSERT of a new pickup; fails on the UNIQUE user code (the caller draws another). */
export async function insertPickup(db: D1Database, pickup: Pickup): Promise<void> {
  await db
    .prepare(
      `INSERT INTO pickups (device_code_hash, user_code, product, feature_code, created_at, expires_at, interval_ms, renews_license_id)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
    )
    .bind(pickup.deviceCodeHash, pickup.userCode, pickup.product, pickup.featureCode, pickup.createdAt, pickup.expiresAt, pickup.intervalMs, pickup.renewsLicenseId)
    .run()
}

export async function getPickupByDeviceHash(db: D1Database, hash: string): Promise<Pickup | null> {
  const row = await db.prepare('SELECT * FROM pickups WHERE device_code_hash = ?1').bind(hash).first<PickupRow>()
  return row ? toPickup(row) : null
}

export async function getPickupByUserCode(db: D1Database, userCode: string): Promise<Pickup | null> {
  const row = await db.prepare('SELECT * FROM pickups WHERE user_code = ?1').bind(normalizeUserCode(userCode)).first<PickupRow>()
  return row ? toPickup(row) : null
}

/**
 * The statements that bind the pickup to the application in the batch that stores it, after the
 * application's INSERT: the UPDATE binds it only if it is still unbound and unexpired; the guard
 * then inserts a row with a NULL primary key — a NOT NULL failure that rolls the whole batch back —
 * when the application was stored but the pickup is not bound to it (a concurrent twin won).
 * Nothing happens when the batch stored no application (a pending limit refused it).
 */
export function bindPickupStatements(db: D1Database, bind: { userCode: string; applicationId: string; now: number }): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE pickups SET application_id = ?2, bound_at = ?3, expires_at = MAX(expires_at, ?3 + ?4)
         WHERE user_code = ?1 AND application_id IS NULL AND consumed_at IS NULL AND expires_at > ?3
           AND EXISTS (SELECT 1 FROM applications WHERE id = ?2)`,
      )
      .bind(bind.userCode, bind.applicationId, bind.now, BOUND_PICKUP_TTL_MS),
    db
      .prepare(
        `INSERT INTO pickups (device_code_hash, user_code, product, feature_code, created_at, expires_at, interval_ms)
         SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL
         WHERE EXISTS (SELECT 1 FROM applications WHERE id = ?2)
           AND NOT EXISTS (SELECT 1 FROM pickups WHERE user_code = ?1 AND application_id = ?2)`,
      )
      .bind(bind.userCode, bind.applicationId),
  ]
}

/** Binds an unbound, unexpired pickup to an existing application that has none; true if it did. */
export async function bindPickupToExisting(db: D1Database, bind: { userCode: string; applicationId: string; now: number }): Promise<boolean> {
  const { meta } = await db
    .prepare(
      `UPDATE pickups SET application_id = ?2, bound_at = ?3, expires_at = MAX(expires_at, ?3 + ?4)
       WHERE user_code = ?1 AND application_id IS NULL AND consumed_at IS NULL AND expires_at > ?3
         AND NOT EXISTS (SELECT 1 FROM pickups WHERE application_id = ?2)
         -- What the product asked for: a renewal pickup only for that license's renewal, and back.
         AND renews_license_id IS (SELECT renews_license_id FROM applications WHERE id = ?2)`,
    )
    .bind(bind.userCode, bind.applicationId, bind.now, BOUND_PICKUP_TTL_MS)
    .run()
  return meta.changes === 1
}

/** Records a poll at `now`; a poll sooner than the interval also lengthens it by `slowDownMs`. */
export async function recordPoll(db: D1Database, hash: string, now: number, slowDownMs: number): Promise<void> {
  await db
    .prepare('UPDATE pickups SET last_poll_at = ?2, interval_ms = interval_ms + ?3 WHERE device_code_hash = ?1')
    .bind(hash, now, slowDownMs)
    .run()
}

/** Consumes the pickup once: true only for the one request that did. */
export async function consumePickup(db: D1Database, hash: string, now: number): Promise<boolean> {
  const { meta } = await db
    .prepare('UPDATE pickups SET consumed_at = ?2 WHERE device_code_hash = ?1 AND consumed_at IS NULL')
    .bind(hash, now)
    .run()
  return meta.changes === 1
}

/** How long an ended pickup is kept: a late poll still answers `expired_token`, not `invalid_grant`. */
export const PICKUP_KEEP_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000

/** Deletes pickups that expired more than a day ago (bound or not: nothing polls them any longer). */
export async function sweepPickups(db: D1Database, now: number): Promise<number> {
  const { meta } = await db.prepare('DELETE FROM pickups WHERE expires_at < ?1').bind(now - PICKUP_KEEP_AFTER_EXPIRY_MS).run()
  return meta.changes ?? 0
}
