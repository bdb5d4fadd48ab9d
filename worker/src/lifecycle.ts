// The application lifecycle (docs/architecture.md): which status may follow which, and the one
// way to change a status — an atomic D1 batch that appends the event row and moves the status
// only if the application is still where the caller saw it (compare-and-set).
import type { ApplicationStatus } from './db/applications.ts'
import { insertEventStatement, hasEvent, type EventSource } from './db/events.ts'
import { newEventId } from './ids.ts'

export const TRANSITIONS: Readonly<Record<ApplicationStatus, readonly ApplicationStatus[]>> = {
  // withdrawn: DingTalk's terminate, or an operator's Withdraw (docs/console.md, "Actions").
  submitted: ['pending_approval', 'failed', 'withdrawn'],
  pending_approval: ['approved', 'rejected', 'withdrawn'],
  approved: ['issued', 'failed'],
  issued: ['delivered', 'failed'],
  delivered: [],
  rejected: [],
  withdrawn: [],
  // An operator's Resubmit (→ submitted), Resend that arrives (→ delivered) or Withdraw.
  failed: ['submitted', 'delivered', 'withdrawn'],
}

export function canTransition(from: ApplicationStatus, to: ApplicationStatus): boolean {
  return TRANSITIONS[from].includes(to)
}

/** Columns a transition may set along with the status. */
export type TransitionSet = {
  dingtalkInstanceId?: string
  nextSubmitAt?: number | null
  submitAttempts?: number
  nextPollAt?: number | null
  pollAttempts?: number
  lastError?: string | null
  submitOutcomeUnknownAt?: number | null
  submitDeferredUntil?: number | null
}

const COLUMNS: Record<keyof TransitionSet, string> = {
  dingtalkInstanceId: 'dingtalk_instance_id',
  nextSubmitAt: 'next_submit_at',
  submitAttempts: 'submit_attempts',
  nextPollAt: 'next_poll_at',
  pollAttempts: 'poll_attempts',
  lastError: 'last_error',
  submitOutcomeUnknownAt: 'submit_outcome_unknown_at',
  submitDeferredUntil: 'submit_deferred_until',
}

export type Transition = {
  applicationId: string
  from: ApplicationStatus
  to: ApplicationStatus
  /** The event type, e.g. `dingtalk.finish`, `license.issued`. */
  type: string
  source: EventSource
  now: number
  dedupeKey?: string | null
  dingtalkEventId?: string | null
  data?: Record<string, unknown> | null
  set?: TransitionSet
}

export type TransitionResult = 'applied' | 'duplicate' | 'stale'

export type TransitionExtras = {
  /** Statements run first, unconditionally (e.g. the idempotent license INSERT). */
  before?: D1PreparedStatement[]
  /** Statements that must take effect only with the transition: each must require the event row. */
  after?: (eventId: string) => D1PreparedStatement[]
}

/**
 * Appends the event and moves the status in one batch. `applied` when it happened; `duplicate`
 * when the dedupe key or DingTalk event id was already recorded; `stale` when the application is
 * no longer in `from` (someone else moved it first). Nothing changes in the last two cases.
 */
export async function applyTransition(db: D1Database, t: Transition, extras: TransitionExtras = {}): Promise<TransitionResult> {
  if (!canTransition(t.from, t.to)) throw new Error(`invalid transition ${t.from} → ${t.to}`)
  const eventId = newEventId()
  const event = insertEventStatement(
    db,
    {
      id: eventId,
      applicationId: t.applicationId,
      type: t.type,
      fromStatus: t.from,
      toStatus: t.to,
      source: t.source,
      dedupeKey: t.dedupeKey ?? null,
      dingtalkEventId: t.dingtalkEventId ?? null,
      data: t.data ?? null,
      createdAt: t.now,
    },
    t.from,
  )
  const entries = Object.entries(t.set ?? {}) as [keyof TransitionSet, unknown][]
  const assignments = entries.map(([key], i) => `, ${COLUMNS[key]} = ?${i + 6}`).join('')
  const update = db
    .prepare(
      `UPDATE applications SET status = ?3, updated_at = ?4${assignments}
       WHERE id = ?1 AND status = ?2 AND EXISTS (SELECT 1 FROM events WHERE id = ?5)`,
    )
    .bind(t.applicationId, t.from, t.to, t.now, eventId, ...entries.map(([, value]) => value ?? null))
  const before = extras.before ?? []
  const results = await db.batch([...before, event, update, ...(extras.after?.(eventId) ?? [])])
  if (results[before.length].meta.changes === 1) return 'applied'
  const keys = { dedupeKey: t.dedupeKey ?? null, dingtalkEventId: t.dingtalkEventId ?? null }
  if ((keys.dedupeKey || keys.dingtalkEventId) && (await hasEvent(db, keys))) return 'duplicate'
  return 'stale'
}

export type NoteInput = {
  applicationId: string
  type: string
  source: EventSource
  now: number
  dedupeKey?: string | null
  dingtalkEventId?: string | null
  data?: Record<string, unknown> | null
}

/** Appends an event that changes no status (an attempt, a received event). False on a dedupe clash. */
export async function recordNote(db: D1Database, note: NoteInput): Promise<boolean> {
  const { meta } = await insertEventStatement(db, {
    id: newEventId(),
    applicationId: note.applicationId,
    type: note.type,
    fromStatus: null,
    toStatus: null,
    source: note.source,
    dedupeKey: note.dedupeKey ?? null,
    dingtalkEventId: note.dingtalkEventId ?? null,
    data: note.data ?? null,
    createdAt: note.now,
  }).run()
  return meta.changes === 1
}
