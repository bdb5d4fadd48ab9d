// Raising and resolving alerts (worker/migrations/0011). Each call is one D1 batch, so it is atomic:
// the alert's row changes and, only on a transition (nothing or resolved → firing, firing →
// resolved), one notice per configured channel is queued. Raising an alert that is already firing
// only counts it: a person hears of a condition once, and once more when it clears.
import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import { ALERTS, type AlertCode } from './catalog.ts'

export type AlertChannel = 'email' | 'dingtalk'
export type AlertDeps = { db: D1Database; config: Config; log?: Logger }
export type AlertInput = {
  code: AlertCode
  /** What it is about ('' for the whole worker): an application, delivery or instance id. */
  subject?: string
  /** Shown in the notice; never a secret (these go to a mailbox). */
  details?: Record<string, unknown>
  now: number
  /** Only if this event row exists (a transition's event, in the same batch): raised with it or not at all. */
  whenEvent?: string
}

export type AlertState = {
  code: AlertCode
  subject: string
  state: 'firing' | 'resolved'
  fires: number
  details: Record<string, unknown>
  occurrences: number
  firstSeenAt: number
  lastSeenAt: number
  resolvedAt: number | null
}

const subjectOf = (subject: string | undefined): string => (subject ?? '').slice(0, 128)

/** The channels an alert goes to: the operations mailbox and/or the DingTalk group robot. */
export function alertChannels(config: Config): AlertChannel[] {
  const channels: AlertChannel[] = []
  if (config.alerts.email.length > 0) channels.push('email')
  if (config.alerts.dingtalkRobot) channels.push('dingtalk')
  return channels
}

function noticeStatements(db: D1Database, code: string, subject: string, channels: AlertChannel[], now: number): D1PreparedStatement[] {
  const queue = channels.map((channel) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO alert_notices (id, code, subject, kind, channel, status, details, attempts, next_attempt_at, created_at, updated_at)
         SELECT code || '/' || subject || '/' || fires || '/' || state || '/' || ?3, code, subject, state, ?3, 'pending', details, 0, ?4, ?4, ?4
         FROM alerts WHERE code = ?1 AND subject = ?2 AND notified <> fires || ':' || state`,
      )
      .bind(code, subject, channel, now),
  )
  // Conditional, so a rule evaluated every minute writes no row while nothing changes (D1 bills rows written).
  const mark = db
    .prepare(`UPDATE alerts SET notified = fires || ':' || state WHERE code = ?1 AND subject = ?2 AND notified <> fires || ':' || state`)
    .bind(code, subject)
  return [...queue, mark]
}

/** Statements that raise an alert (for a caller's own batch); see raiseAlert. */
export function raiseAlertStatements(deps: AlertDeps, input: AlertInput): D1PreparedStatement[] {
  const { db, config } = deps
  const subject = subjectOf(input.subject)
  const details = JSON.stringify(input.details ?? {})
  const source = input.whenEvent
    ? `SELECT ?1, ?2, 'firing', 1, '', ?3, 1, ?4, ?4 WHERE EXISTS (SELECT 1 FROM events WHERE id = ?5)`
    : `VALUES (?1, ?2, 'firing', 1, '', ?3, 1, ?4, ?4)`
  const upsert = db
    .prepare(
      `INSERT INTO alerts (code, subject, state, fires, notified, details, occurrences, first_seen_at, last_seen_at)
       ${source}
       ON CONFLICT (code, subject) DO UPDATE SET
         fires = fires + (state = 'resolved'),
         occurrences = CASE WHEN state = 'resolved' THEN 1 ELSE occurrences + 1 END,
         first_seen_at = CASE WHEN state = 'resolved' THEN ?4 ELSE first_seen_at END,
         details = ?3, last_seen_at = ?4, state = 'firing', resolved_at = NULL`,
    )
    .bind(...[input.code, subject, details, input.now, ...(input.whenEvent ? [input.whenEvent] : [])])
  return [upsert, ...noticeStatements(db, input.code, subject, alertChannels(config), input.now)]
}

/** Raises an alert: a new firing queues a notice per channel; a repeat only counts. */
export async function raiseAlert(deps: AlertDeps, input: AlertInput): Promise<void> {
  await deps.db.batch(raiseAlertStatements(deps, input))
  deps.log?.error(`alert ${input.code}: ${ALERTS[input.code].title}`, { alert: input.code, subject: subjectOf(input.subject), ...input.details })
}

/** Statements that resolve an alert if it is firing (see resolveAlert); they write no row otherwise. */
export function resolveAlertStatements(deps: AlertDeps, input: Omit<AlertInput, 'details'>): D1PreparedStatement[] {
  const { db, config } = deps
  const subject = subjectOf(input.subject)
  return [
    db
      .prepare(`UPDATE alerts SET state = 'resolved', resolved_at = ?3 WHERE code = ?1 AND subject = ?2 AND state = 'firing'`)
      .bind(input.code, subject, input.now),
    ...noticeStatements(db, input.code, subject, alertChannels(config), input.now),
  ]
}

/** Resolves a firing alert (queuing a "resolved" notice); nothing happens if it is not firing. */
export async function resolveAlert(deps: AlertDeps, input: Omit<AlertInput, 'details'>): Promise<boolean> {
  const subject = subjectOf(input.subject)
  const [update] = await deps.db.batch(resolveAlertStatements(deps, input))
  const resolved = (update?.meta.changes ?? 0) > 0
  if (resolved) deps.log?.info(`alert ${input.code} resolved`, { alert: input.code, subject })
  return resolved
}

/** Raises or resolves, as the condition says (a rule evaluated on every cron run). */
export async function setAlert(deps: AlertDeps, input: AlertInput, firing: boolean): Promise<void> {
  if (firing) await raiseAlert(deps, input)
  else await resolveAlert(deps, input)
}

type AlertRow = {
  code: string
  subject: string
  state: 'firing' | 'resolved'
  fires: number
  details: string
  occurrences: number
  first_seen_at: number
  last_seen_at: number
  resolved_at: number | null
}

function toAlertState(row: AlertRow): AlertState {
  return {
    code: row.code as AlertCode,
    subject: row.subject,
    state: row.state,
    fires: row.fires,
    details: JSON.parse(row.details) as Record<string, unknown>,
    occurrences: row.occurrences,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    resolvedAt: row.resolved_at,
  }
}

export async function getAlert(db: D1Database, code: AlertCode, subject = ''): Promise<AlertState | null> {
  const row = await db.prepare('SELECT * FROM alerts WHERE code = ?1 AND subject = ?2').bind(code, subject).first<AlertRow>()
  return row ? toAlertState(row) : null
}

export async function listFiringAlerts(db: D1Database, code?: AlertCode): Promise<AlertState[]> {
  const { results } = code
    ? await db.prepare(`SELECT * FROM alerts WHERE state = 'firing' AND code = ?1 ORDER BY first_seen_at`).bind(code).all<AlertRow>()
    : await db.prepare(`SELECT * FROM alerts WHERE state = 'firing' ORDER BY first_seen_at`).all<AlertRow>()
  return results.map(toAlertState)
}

export async function isFiring(db: D1Database, code: AlertCode, subject = ''): Promise<boolean> {
  const row = await db.prepare(`SELECT 1 AS firing FROM alerts WHERE code = ?1 AND subject = ?2 AND state = 'firing'`).bind(code, subject).first()
  return row !== null
}

/** Resolves only when firing (a read first): for hot paths such as heartbeats and sent mail. */
export async function resolveIfFiring(deps: AlertDeps, input: Omit<AlertInput, 'details'>): Promise<boolean> {
  if (!(await isFiring(deps.db, input.code, input.subject ?? ''))) return false
  return resolveAlert(deps, input)
}

/** Whether a person was actually told of this alert (a firing notice was sent on some channel). */
export async function alertWasSent(db: D1Database, code: AlertCode, subject: string): Promise<boolean> {
  const row = await db
    .prepare(`SELECT 1 AS sent FROM alert_notices WHERE code = ?1 AND subject = ?2 AND kind = 'firing' AND status = 'sent' LIMIT 1`)
    .bind(code, subject)
    .first<{ sent: number }>()
  return row !== null
}
