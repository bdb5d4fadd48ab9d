// Data access for renewal (worker/migrations/0019): the reminders sent per license and threshold,
// the applications that renew a license, and the per-product reminder switch with its audit.

/** A license due a reminder at one threshold, with what the mail needs to find its application. */
export type ReminderCandidate = { licenseId: string; applicationId: string; thresholdDays: number; exp: number }

const DAY = 86_400

/** Applications that count as renewing a license: any not refused or withdrawn. */
export const LIVE_RENEWAL = `status NOT IN ('rejected', 'withdrawn')`

/**
 * Licenses whose exp falls within (`lowerDays`, `thresholdDays`] days of `nowSeconds`, not yet
 * reminded at this threshold, not revoked, not superseded, not renewed, of a product whose reminders
 * are on, and valid for longer than the threshold (a 30-day license gets no "30 days left" mail on
 * the day it is issued). Soonest to expire first.
 */
export async function listReminderCandidates(
  db: D1Database,
  window: { nowSeconds: number; thresholdDays: number; lowerDays: number; limit: number },
): Promise<ReminderCandidate[]> {
  const { results } = await db
    .prepare(
      `SELECT l.id AS license_id, l.application_id, l.exp FROM licenses l JOIN applications a ON a.id = l.application_id
       WHERE l.exp > ?1 + ?3 * ${DAY} AND l.exp <= ?1 + ?2 * ${DAY} AND l.exp - l.nbf > ?2 * ${DAY}
         AND l.revoked_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM licenses s WHERE s.supersedes = l.id)
         AND NOT EXISTS (SELECT 1 FROM renewal_reminders r WHERE r.license_id = l.id AND r.threshold_days = ?2)
         AND NOT EXISTS (SELECT 1 FROM applications n WHERE n.renews_license_id = l.id AND n.${LIVE_RENEWAL})
         AND COALESCE((SELECT renewal_reminders FROM product_settings p WHERE p.product = a.product), 1) = 1
       ORDER BY l.exp, l.id LIMIT ?4`,
    )
    .bind(window.nowSeconds, window.thresholdDays, window.lowerDays, window.limit)
    .all<{ license_id: string; application_id: string; exp: number }>()
  return results.map((r) => ({ licenseId: r.license_id, applicationId: r.application_id, thresholdDays: window.thresholdDays, exp: r.exp }))
}

/** Why a queued reminder is no longer to be sent (its delivery is then cancelled). */
export type ReminderVoid = 'license_missing' | 'revoked' | 'superseded' | 'renewed' | 'expired' | 'reminders_off'

/**
 * Checked again when the outbox's turn comes for a queued reminder: it may have waited through an
 * outage, and a mail asking to renew a license that was renewed, revoked or replaced meanwhile (or
 * whose product's reminders an operator turned off) must not go. Null: still due. The conditions
 * are listReminderCandidates' own, apart from the window.
 */
export async function reminderVoidReason(db: D1Database, licenseId: string, nowSeconds: number): Promise<ReminderVoid | null> {
  const found = await db
    .prepare(
      `SELECT l.revoked_at IS NOT NULL AS revoked, l.exp <= ?2 AS expired,
         EXISTS (SELECT 1 FROM licenses s WHERE s.supersedes = l.id) AS superseded,
         EXISTS (SELECT 1 FROM applications n WHERE n.renews_license_id = l.id AND n.${LIVE_RENEWAL}) AS renewed,
         COALESCE((SELECT renewal_reminders FROM product_settings p WHERE p.product = a.product), 1) = 0 AS off
       FROM licenses l JOIN applications a ON a.id = l.application_id WHERE l.id = ?1`,
    )
    .bind(licenseId, nowSeconds)
    .first<{ revoked: number; expired: number; superseded: number; renewed: number; off: number }>()
  if (!found) return 'license_missing'
  if (found.revoked) return 'revoked'
  if (found.superseded) return 'superseded'
  if (found.renewed) return 'renewed'
  if (found.expired) return 'expired'
  if (found.off) return 'reminders_off'
  return null
}

/**
 * The reminder's record and its delivery, for one batch: the record is written once per (license,
 * threshold), and the delivery only when the record written is this one, so a second run, a crash
 * between runs or two crons at once never queue a second mail.
 */
export function insertReminderStatements(
  db: D1Database,
  reminder: { licenseId: string; applicationId: string; thresholdDays: number; deliveryId: string; now: number },
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO renewal_reminders (license_id, threshold_days, delivery_id, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING`,
      )
      .bind(reminder.licenseId, reminder.thresholdDays, reminder.deliveryId, reminder.now),
    db
      .prepare(
        `INSERT INTO deliveries (id, application_id, kind, status, attempts, next_attempt_at, created_at, updated_at, license_id)
         SELECT ?1, ?2, 'renewal_reminder', 'pending', 0, ?3, ?3, ?3, ?4
         WHERE EXISTS (SELECT 1 FROM renewal_reminders WHERE delivery_id = ?1)`,
      )
      .bind(reminder.deliveryId, reminder.applicationId, reminder.now, reminder.licenseId),
  ]
}

/** The application renewing `licenseId` that counts (not refused, not withdrawn), or null. */
export async function findLiveRenewal(db: D1Database, licenseId: string): Promise<{ id: string; status: string } | null> {
  return db
    .prepare(`SELECT id, status FROM applications WHERE renews_license_id = ?1 AND ${LIVE_RENEWAL} ORDER BY created_at LIMIT 1`)
    .bind(licenseId)
    .first<{ id: string; status: string }>()
}

/** Marks a just-inserted application as the renewal of `licenseId` (batched with the INSERT). */
export function setRenewsStatement(db: D1Database, applicationId: string, licenseId: string): D1PreparedStatement {
  return db.prepare('UPDATE applications SET renews_license_id = ?2 WHERE id = ?1').bind(applicationId, licenseId)
}

export type ProductSetting = { product: string; renewalReminders: boolean; updatedAt: number | null; updatedBy: string | null }

/** The settings rows there are, by product (a product without one has the defaults). */
export async function listProductSettings(db: D1Database): Promise<Map<string, ProductSetting>> {
  const { results } = await db
    .prepare('SELECT product, renewal_reminders, updated_at, updated_by FROM product_settings')
    .all<{ product: string; renewal_reminders: number; updated_at: number; updated_by: string }>()
  return new Map(
    results.map((r) => [r.product, { product: r.product, renewalReminders: r.renewal_reminders === 1, updatedAt: r.updated_at, updatedBy: r.updated_by }]),
  )
}

/** Turns a product's reminders on or off and records who did, in one batch. */
export async function setRenewalReminders(
  db: D1Database,
  change: { product: string; enabled: boolean; by: string; now: number },
): Promise<void> {
  const value = change.enabled ? 1 : 0
  await db.batch([
    db
      .prepare(
        `INSERT INTO product_settings (product, renewal_reminders, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (product) DO UPDATE SET renewal_reminders = ?2, updated_at = ?3, updated_by = ?4`,
      )
      .bind(change.product, value, change.now, change.by),
    db
      .prepare(
        `INSERT INTO product_setting_changes (product, setting, value, changed_by, changed_at) VALUES (?1, 'renewal_reminders', ?2, ?3, ?4)`,
      )
      .bind(change.product, change.enabled ? 'true' : 'false', change.by, change.now),
  ])
}
