// Data access for `events` (worker/migrations/0004): append-only; INSERTs only, never UPDATE/DELETE.
import type { ApplicationStatus } from './applications.ts'

export type EventSource = 'api' | 'dingtalk' | 'cron' | 'outbox' | 'operator'

export type AppEvent = {
  id: string
  applicationId: string
  type: string
  fromStatus: ApplicationStatus | null
  toStatus: ApplicationStatus | null
  source: EventSource
  dedupeKey: string | null
  dingtalkEventId: string | null
  data: Record<string, unknown> | null
  createdAt: number
}

type EventRow = {
  id: string
  application_id: string
  type: string
  from_status: string | null
  to_status: string | null
  source: string
  dedupe_key: string | null
  dingtalk_event_id: string | null
  data: string | null
  created_at: number
}

export function toEvent(row: EventRow): AppEvent {
  return {
    id: row.id,
    applicationId: row.application_id,
    type: row.type,
    fromStatus: row.from_status as ApplicationStatus | null,
    toStatus: row.to_status as ApplicationStatus | null,
    source: row.source as EventSource,
    dedupeKey: row.dedupe_key,
    dingtalkEventId: row.dingtalk_event_id,
    data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
    createdAt: row.created_at,
  }
}

/**
 * INSERT of an event, ignored when its id, dedupe key or DingTalk event id exists. With a guard, it
 * is written only while the application has that status, or while that license is unrevoked.
 */
/** ?1…?10 of an events INSERT, in column order; a guard binds from ?11 on. */
function eventBinds(event: AppEvent): unknown[] {
  return [
    event.id,
    event.applicationId,
    event.type,
    event.fromStatus,
    event.toStatus,
    event.source,
    event.dedupeKey,
    event.dingtalkEventId,
    event.data === null ? null : JSON.stringify(event.data),
    event.createdAt,
  ]
}

export function insertEventStatement(
  db: D1Database,
  event: AppEvent,
  guard?: ApplicationStatus | { unrevokedLicense: string },
): D1PreparedStatement {
  const binds = eventBinds(event)
  let where = 'WHERE 1'
  if (typeof guard === 'string') {
    where = 'WHERE EXISTS (SELECT 1 FROM applications WHERE id = ?2 AND status = ?11)'
    binds.push(guard)
  } else if (guard) {
    where = 'WHERE EXISTS (SELECT 1 FROM licenses WHERE id = ?11 AND revoked_at IS NULL)'
    binds.push(guard.unrevokedLicense)
  }
  return db
    .prepare(
      `INSERT INTO events (id, application_id, type, from_status, to_status, source, dedupe_key,
         dingtalk_event_id, data, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 ${where}
       ON CONFLICT DO NOTHING`,
    )
    .bind(...binds)
}

/**
 * INSERT of `event` only while fewer than `max` events of its type and application were written
 * in each of the last `windowMs` (one statement, so two racing requests cannot both pass a limit).
 */
export function insertEventWithinLimitsStatement(
  db: D1Database,
  event: AppEvent,
  limits: readonly { windowMs: number; max: number }[],
): D1PreparedStatement {
  const binds = eventBinds(event)
  const checks = limits.map(({ windowMs, max }) => {
    binds.push(event.createdAt - windowMs, max)
    const since = binds.length - 1
    return `(SELECT count(*) FROM events WHERE application_id = ?2 AND type = ?3 AND created_at > ?${since}) < ?${since + 1}`
  })
  return db
    .prepare(
      `INSERT INTO events (id, application_id, type, from_status, to_status, source, dedupe_key,
         dingtalk_event_id, data, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE ${checks.join(' AND ') || '1'}
       ON CONFLICT DO NOTHING`,
    )
    .bind(...binds)
}

/** When the events of one type of an application were written since `since` (ms), oldest first. */
export async function listEventTimes(db: D1Database, applicationId: string, type: string, since: number): Promise<number[]> {
  const { results } = await db
    .prepare('SELECT created_at FROM events WHERE application_id = ?1 AND type = ?2 AND created_at > ?3 ORDER BY created_at')
    .bind(applicationId, type, since)
    .all<{ created_at: number }>()
  return results.map((r) => r.created_at)
}

/** True when an event with this dedupe key or DingTalk event id has been recorded. */
export async function hasEvent(db: D1Database, keys: { dedupeKey: string | null; dingtalkEventId: string | null }): Promise<boolean> {
  const row = await db
    .prepare('SELECT 1 AS found FROM events WHERE dedupe_key = ?1 OR dingtalk_event_id = ?2 LIMIT 1')
    .bind(keys.dedupeKey, keys.dingtalkEventId)
    .first<{ found: number }>()
  return row !== null
}

/** The event recorded under this dedupe key (an operator action's idempotency key), or null. */
export async function getEventByDedupeKey(db: D1Database, dedupeKey: string): Promise<AppEvent | null> {
  const row = await db.prepare('SELECT * FROM events WHERE dedupe_key = ?1').bind(dedupeKey).first<EventRow>()
  return row ? toEvent(row) : null
}

export async function listEvents(db: D1Database, applicationId: string): Promise<AppEvent[]> {
  const { results } = await db
    .prepare('SELECT * FROM events WHERE application_id = ?1 ORDER BY created_at, rowid')
    .bind(applicationId)
    .all<EventRow>()
  return results.map(toEvent)
}

/** When the application last moved into `status` (its latest transition there); null when it never did. */
export async function enteredStatusAt(db: D1Database, applicationId: string, status: ApplicationStatus): Promise<number | null> {
  const row = await db
    .prepare('SELECT MAX(created_at) AS at FROM events WHERE application_id = ?1 AND to_status = ?2')
    .bind(applicationId, status)
    .first<{ at: number | null }>()
  return row?.at ?? null
}
