// Data access for `deliveries` (worker/migrations/0003, 0014, 0016, 0019, 0020), the mail outbox: one
// `license`, one `rejection` and one `acknowledgement` row per application at most, any number of
// `license_resend` rows (an operator's, or the applicant's "send it again") and `renewal_reminder`
// rows (one per license and threshold, renewal/remind.ts); each sent with Idempotency-Key `delivery/<id>`.

export type DeliveryKind = 'license' | 'rejection' | 'license_resend' | 'acknowledgement' | 'renewal_reminder'
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'cancelled'

export type Delivery = {
  id: string
  applicationId: string
  kind: DeliveryKind
  status: DeliveryStatus
  attempts: number
  nextAttemptAt: number | null
  lastError: string | null
  resendEmailId: string | null
  /** Where it goes when not the application's email (a resend to a corrected address). */
  toAddress: string | null
  /** The license it mails when not the application's current one (a reissue's), migration 0015. */
  licenseId: string | null
  createdAt: number
  updatedAt: number
}

type DeliveryRow = {
  id: string
  application_id: string
  kind: string
  status: string
  attempts: number
  next_attempt_at: number | null
  last_error: string | null
  resend_email_id: string | null
  to_address: string | null
  license_id?: string | null
  created_at: number
  updated_at: number
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    applicationId: row.application_id,
    kind: row.kind as DeliveryKind,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    resendEmailId: row.resend_email_id,
    toAddress: row.to_address ?? null,
    licenseId: row.license_id ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * INSERT of a pending delivery, written only if the event `eventId` exists (the submission, approval
 * or rejection written earlier in the same batch), and only once per (application, kind).
 */
export function insertDeliveryStatement(
  db: D1Database,
  delivery: { id: string; applicationId: string; kind: DeliveryKind; now: number },
  eventId: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO deliveries (id, application_id, kind, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT ?1, ?2, ?3, 'pending', 0, ?4, ?4, ?4 WHERE EXISTS (SELECT 1 FROM events WHERE id = ?5)
       ON CONFLICT DO NOTHING`,
    )
    .bind(delivery.id, delivery.applicationId, delivery.kind, delivery.now, eventId)
}

/** INSERT of a resend of the license mail (an operator's or the applicant's), written only with its event `eventId`. */
export function insertResendStatement(
  db: D1Database,
  delivery: { id: string; applicationId: string; toAddress: string | null; now: number; licenseId?: string },
  eventId: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO deliveries (id, application_id, kind, status, attempts, next_attempt_at, created_at, updated_at, to_address, license_id)
       SELECT ?1, ?2, 'license_resend', 'pending', 0, ?4, ?4, ?4, ?3, ?6 WHERE EXISTS (SELECT 1 FROM events WHERE id = ?5)`,
    )
    .bind(delivery.id, delivery.applicationId, delivery.toAddress, delivery.now, eventId, delivery.licenseId ?? null)
}

/** A pending resend of the application's license mail to `toAddress` (null: its email), or null. */
export async function findPendingResend(db: D1Database, applicationId: string, toAddress: string | null): Promise<Delivery | null> {
  const row = await db
    .prepare(
      `SELECT * FROM deliveries WHERE application_id = ?1 AND kind = 'license_resend' AND status = 'pending'
         AND to_address IS ?2 ORDER BY created_at LIMIT 1`,
    )
    .bind(applicationId, toAddress)
    .first<DeliveryRow>()
  return row ? toDelivery(row) : null
}

export async function getDelivery(db: D1Database, id: string): Promise<Delivery | null> {
  const row = await db.prepare('SELECT * FROM deliveries WHERE id = ?1').bind(id).first<DeliveryRow>()
  return row ? toDelivery(row) : null
}


/** The mails a customer waits for: they go out before acknowledgements and reminders. */
export const DECISION_KINDS: readonly DeliveryKind[] = ['license', 'rejection', 'license_resend']
/** Mails nobody waits for at this minute: they go out last. */
export const LOW_PRIORITY_KINDS: readonly DeliveryKind[] = ['renewal_reminder']
const kindList = (kinds: readonly DeliveryKind[]) => kinds.map((kind) => `'${kind}'`).join(', ')

/**
 * Pending deliveries that are due, optionally of one application: decisions first, then the rest,
 * then reminders, each oldest first. Resend takes a few mails a second; in a burst an acknowledgement waits, not a license.
 */
export async function listDueDeliveries(db: D1Database, now: number, limit: number, applicationId?: string): Promise<Delivery[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1
         AND (?3 IS NULL OR application_id = ?3)
       ORDER BY CASE WHEN kind IN (${kindList(DECISION_KINDS)}) THEN 0 WHEN kind IN (${kindList(LOW_PRIORITY_KINDS)}) THEN 2 ELSE 1 END, next_attempt_at
       LIMIT ?2`,
    )
    .bind(now, limit, applicationId ?? null)
    .all<DeliveryRow>()
  return results.map(toDelivery)
}

/** Takes a due delivery for one sender by pushing next_attempt_at to `leaseUntil`; false if taken. */
export async function claimDelivery(db: D1Database, id: string, now: number, leaseUntil: number): Promise<boolean> {
  const { meta } = await db
    .prepare(
      `UPDATE deliveries SET next_attempt_at = ?3, updated_at = ?2
       WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2`,
    )
    .bind(id, now, leaseUntil)
    .run()
  return meta.changes === 1
}

export function markDeliverySentStatement(
  db: D1Database,
  id: string,
  sent: { attempts: number; resendEmailId: string | null; now: number },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries SET status = 'sent', attempts = ?2, resend_email_id = ?3, last_error = NULL,
         next_attempt_at = NULL, updated_at = ?4
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, sent.attempts, sent.resendEmailId, sent.now)
}

/** Records a failed attempt: retry at `nextAttemptAt`, or give up (`failed`) when it is null. */
export function recordDeliveryFailureStatement(
  db: D1Database,
  id: string,
  failure: { attempts: number; nextAttemptAt: number | null; lastError: string; now: number },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries SET status = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'pending' END,
         attempts = ?2, next_attempt_at = ?3, last_error = ?4, updated_at = ?5
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, failure.attempts, failure.nextAttemptAt, failure.lastError, failure.now)
}

/** Cancels a pending delivery that is no longer to be sent, with why (a reminder no longer due). */
export async function cancelDelivery(db: D1Database, id: string, cancelled: { reason: string; now: number }): Promise<boolean> {
  const { meta } = await db
    .prepare(
      `UPDATE deliveries SET status = 'cancelled', last_error = ?2, next_attempt_at = NULL, updated_at = ?3
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, cancelled.reason, cancelled.now)
    .run()
  return meta.changes === 1
}
