// Data access for `applications` (worker/migrations/0001). Status changes go through lifecycle.ts.
import type { Locale } from '../config.ts'

export { STATUSES } from '../shapes.ts'
export type { Application, ApplicationStatus } from '../shapes.ts'
import type { Application, ApplicationStatus } from '../shapes.ts'

type ApplicationRow = {
  id: string
  access_token_hash: string
  product: string
  feature_code: string
  quantity: number
  validity_days: number
  name: string
  company: string
  email: string
  phone: string | null
  note: string | null
  locale: string
  time_zone?: string | null
  renews_license_id?: string | null
  status: string
  dingtalk_instance_id: string | null
  submit_attempts: number
  next_submit_at: number | null
  last_error: string | null
  poll_attempts: number
  next_poll_at: number | null
  submit_outcome_unknown_at: number | null
  submit_deferred_until: number | null
  created_at: number
  updated_at: number
}

export function toApplication(row: ApplicationRow): Application {
  return {
    id: row.id,
    accessTokenHash: row.access_token_hash,
    product: row.product,
    featureCode: row.feature_code,
    quantity: row.quantity,
    validityDays: row.validity_days,
    name: row.name,
    company: row.company,
    email: row.email,
    phone: row.phone,
    note: row.note,
    locale: row.locale as Locale,
    timeZone: row.time_zone ?? null,
    renewsLicenseId: row.renews_license_id ?? null,
    status: row.status as ApplicationStatus,
    dingtalkInstanceId: row.dingtalk_instance_id,
    submitAttempts: row.submit_attempts,
    nextSubmitAt: row.next_submit_at,
    lastError: row.last_error,
    pollAttempts: row.poll_attempts,
    nextPollAt: row.next_poll_at,
    submitOutcomeUnknownAt: row.submit_outcome_unknown_at ?? null,
    submitDeferredUntil: row.submit_deferred_until ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** "Pending": a person still has to decide (or DingTalk has not got it yet). */
const PENDING = `status IN ('submitted', 'pending_approval')`
// The same expressions as the indexes of migration 0012 (so the queries use them): the feature
// code normalised as docs/license-format.md says (stored codes are compacted; '-' dropped, ASCII
// upper-cased), the email ASCII case-insensitive.
const sameCode = (product: string, code: string) =>
  `product = ${product} AND upper(replace(feature_code, '-', '')) = upper(replace(${code}, '-', ''))`
const sameEmail = (email: string) => `lower(email) = lower(${email})`

/** Limits for insertApplicationStatement: pending applications allowed per feature code and per email. */
export type PendingLimits = { perFeatureCode: number; perEmail: number }

/**
 * The INSERT of a new application; the caller batches it with its `submitted` event. With `limits`
 * it writes nothing (meta.changes 0) when as many applications for the same feature code and
 * product, or for the same email, are pending already: checked and written in one statement, so
 * two concurrent requests cannot both pass.
 */
export function insertApplicationStatement(db: D1Database, app: Application, limits?: PendingLimits): D1PreparedStatement {
  const guard = limits
    ? `WHERE (SELECT COUNT(*) FROM applications WHERE ${sameCode('?3', '?4')} AND ${PENDING}) < ?20
         AND (SELECT COUNT(*) FROM applications WHERE ${sameEmail('?9')} AND ${PENDING}) < ?21`
    : ''
  return db
    .prepare(
      `INSERT INTO applications (id, access_token_hash, product, feature_code, quantity, validity_days,
         name, company, email, phone, note, locale, status, submit_attempts, next_submit_at, poll_attempts,
         created_at, updated_at, time_zone)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19 ${guard}`,
    )
    .bind(
      app.id,
      app.accessTokenHash,
      app.product,
      app.featureCode,
      app.quantity,
      app.validityDays,
      app.name,
      app.company,
      app.email,
      app.phone,
      app.note,
      app.locale,
      app.status,
      app.submitAttempts,
      app.nextSubmitAt,
      app.pollAttempts,
      app.createdAt,
      app.updatedAt,
      app.timeZone ?? null,
      ...(limits ? [limits.perFeatureCode, limits.perEmail] : []),
    )
}

export type PendingApplication = { id: string; status: ApplicationStatus; sameEmail: boolean }
export type PendingFor = {
  /** Pending applications for the same feature code (normalised) and product, oldest first. */
  forFeatureCode: PendingApplication[]
  /** How many applications of this email (any case) are pending. */
  forEmail: number
}

/** What is pending for a new request's feature code and email (one batch; the indexes of 0012). */
export async function findPending(db: D1Database, request: { product: string; featureCode: string; email: string }): Promise<PendingFor> {
  const [code, email] = await db.batch([
    db
      .prepare(
        `SELECT id, status, ${sameEmail('?3')} AS same_email FROM applications
         WHERE ${sameCode('?1', '?2')} AND ${PENDING} ORDER BY created_at LIMIT 1000`,
      )
      .bind(request.product, request.featureCode, request.email),
    db.prepare(`SELECT COUNT(*) AS n FROM applications WHERE ${sameEmail('?1')} AND ${PENDING}`).bind(request.email),
  ])
  const rows = code.results as { id: string; status: ApplicationStatus; same_email: number }[]
  return {
    forFeatureCode: rows.map((row) => ({ id: row.id, status: row.status, sameEmail: row.same_email === 1 })),
    forEmail: (email.results[0] as { n: number } | undefined)?.n ?? 0,
  }
}

export async function getApplication(db: D1Database, id: string): Promise<Application | null> {
  const row = await db.prepare('SELECT * FROM applications WHERE id = ?1').bind(id).first<ApplicationRow>()
  return row ? toApplication(row) : null
}

export async function getApplicationByInstance(db: D1Database, instanceId: string): Promise<Application | null> {
  const row = await db
    .prepare('SELECT * FROM applications WHERE dingtalk_instance_id = ?1')
    .bind(instanceId)
    .first<ApplicationRow>()
  return row ? toApplication(row) : null
}

async function list(db: D1Database, sql: string, ...binds: unknown[]): Promise<Application[]> {
  const { results } = await db.prepare(sql).bind(...binds).all<ApplicationRow>()
  return results.map(toApplication)
}

/** `submitted` applications whose next submit attempt is due, oldest first. */
export function listSubmitDue(db: D1Database, now: number, limit: number): Promise<Application[]> {
  return list(
    db,
    `SELECT * FROM applications WHERE status = 'submitted' AND next_submit_at <= ?1
     ORDER BY next_submit_at LIMIT ?2`,
    now,
    limit,
  )
}

/** `pending_approval` applications whose next poll is due, most overdue first. */
export function listPollDue(db: D1Database, now: number, limit: number): Promise<Application[]> {
  return list(
    db,
    `SELECT * FROM applications WHERE status = 'pending_approval' AND next_poll_at <= ?1
     ORDER BY next_poll_at LIMIT ?2`,
    now,
    limit,
  )
}

/** `approved` applications: their license is issued by the outbox (crash recovery re-runs this). */
export function listApproved(db: D1Database, limit: number): Promise<Application[]> {
  return list(db, `SELECT * FROM applications WHERE status = 'approved' ORDER BY updated_at LIMIT ?1`, limit)
}

/**
 * Takes a due submit attempt for this run: moves next_submit_at to `leaseUntil` only if it is still
 * due, so two overlapping runs (or the API and cron) never submit the same application at once.
 */
export async function claimSubmit(db: D1Database, id: string, now: number, leaseUntil: number): Promise<boolean> {
  const { meta } = await db
    .prepare(
      `UPDATE applications SET next_submit_at = ?3, updated_at = ?2
       WHERE id = ?1 AND status = 'submitted' AND next_submit_at <= ?2`,
    )
    .bind(id, now, leaseUntil)
    .run()
  return meta.changes === 1
}

export async function recordSubmitFailure(
  db: D1Database,
  id: string,
  failure: { attempts: number; nextSubmitAt: number; lastError: string; now: number },
): Promise<void> {
  await db
    .prepare(
      `UPDATE applications SET submit_attempts = ?2, next_submit_at = ?3, last_error = ?4, updated_at = ?5
       WHERE id = ?1 AND status = 'submitted'`,
    )
    .bind(id, failure.attempts, failure.nextSubmitAt, failure.lastError, failure.now)
    .run()
}

export async function schedulePoll(
  db: D1Database,
  id: string,
  poll: { attempts: number; nextPollAt: number; now: number; lastError?: string | null },
): Promise<void> {
  await db
    .prepare(
      `UPDATE applications SET poll_attempts = ?2, next_poll_at = ?3, updated_at = ?4,
         last_error = COALESCE(?5, last_error)
       WHERE id = ?1 AND status = 'pending_approval'`,
    )
    .bind(id, poll.attempts, poll.nextPollAt, poll.now, poll.lastError ?? null)
    .run()
}

/** A create's answer was lost: keep the first such time, and look again (search first) at `nextSubmitAt`. */
export async function recordSubmitOutcomeUnknown(
  db: D1Database,
  id: string,
  unknown: { nextSubmitAt: number; lastError: string; now: number },
): Promise<void> {
  await db
    .prepare(
      `UPDATE applications SET submit_outcome_unknown_at = COALESCE(submit_outcome_unknown_at, ?3), next_submit_at = ?2,
         last_error = ?4, updated_at = ?3
       WHERE id = ?1 AND status = 'submitted'`,
    )
    .bind(id, unknown.nextSubmitAt, unknown.now, unknown.lastError)
    .run()
}

/** How many applications wait for DingTalk's decision (the reconciler reads failed pushes only then). */
export async function countPendingApproval(db: D1Database): Promise<number> {
  const row = await db.prepare(`SELECT COUNT(*) AS n FROM applications WHERE status = 'pending_approval'`).first<{ n: number }>()
  return row?.n ?? 0
}

/** Is a `submitted` application due now (the proxy heartbeat drains the backlog only then)? */
export async function hasSubmitDue(db: D1Database, now: number): Promise<boolean> {
  const row = await db.prepare(`SELECT 1 AS due FROM applications WHERE status = 'submitted' AND next_submit_at <= ?1 LIMIT 1`).bind(now).first()
  return row !== null
}
