// Budgets that protect DingTalk's quota and the approvers' queue (docs/architecture.md, "Budgets"):
// SUBMIT_DAILY_CAP / SUBMIT_MONTHLY_CAP new submissions per UTC day / month, and the reserve of
// the monthly API budget kept for polling (submissions stop at DINGTALK_MONTHLY_BUDGET −
// DINGTALK_POLL_RESERVE). An application over a cap is kept and due when the window reopens; the
// SUBMIT_CAP_REACHED alert fires on the first refusal and resolves once the window has room again.
import { listFiringAlerts, raiseAlert, resolveAlert, type AlertDeps } from './alerts/store.ts'
import { NEXT_RUN_MS } from './backoff.ts'
import type { Config } from './config.ts'
import { monthOf } from './db/api-usage.ts'
import type { EventSource } from './db/events.ts'
import { dayOf, readSubmissionUsage, reserveSubmitSlot, type SubmissionUsage, type SubmitSlot } from './db/submission-usage.ts'

export type CapKind = 'daily' | 'monthly' | 'reserve'

/** One budget's state at `now`. */
export type CapState = Readonly<{
  cap: CapKind
  limit: number
  used: number
  /** The UTC day or month it counts. */
  period: string
  /** When the window opens again by itself: the next UTC day or month. */
  reopensAt: number
  /** When an application held back by it is due again (the reserve: every run, a raised budget counts at once). */
  retryAt: number
}>

export type SubmitWindow = Readonly<{ states: readonly CapState[]; closed: CapState | null; room: number }>

/** The prefix of a held-back application's last_error (the backlog alert leaves those out). */
export const CAP_ERROR_PREFIX = 'SUBMIT_CAP'

const iso = (ms: number): string => new Date(ms).toISOString()

export function nextUtcDay(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
}

export function nextUtcMonth(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}

/** API calls a month that submissions may use: the budget less the polling reserve (never below 0). */
export const submitApiLimit = (config: Config): number => Math.max(config.dingtalk.monthlyBudget - config.dingtalk.pollReserve, 0)

/** The three budgets, most binding first when several are full: the month, the day, the reserve. */
export function capStates(config: Config, usage: SubmissionUsage, now: number): CapState[] {
  const month = nextUtcMonth(now)
  const day = nextUtcDay(now)
  return [
    { cap: 'monthly', limit: config.submitCaps.monthly, used: usage.monthly, period: monthOf(now), reopensAt: month, retryAt: month },
    { cap: 'daily', limit: config.submitCaps.daily, used: usage.daily, period: dayOf(now), reopensAt: day, retryAt: day },
    { cap: 'reserve', limit: submitApiLimit(config), used: usage.apiCalls, period: monthOf(now), reopensAt: month, retryAt: now + NEXT_RUN_MS },
  ]
}

export const isFull = (state: CapState): boolean => state.used >= state.limit

export async function submitWindow(db: D1Database, config: Config, now: number): Promise<SubmitWindow> {
  const states = capStates(config, await readSubmissionUsage(db, now), now)
  const room = Math.max(Math.min(...states.map((s) => s.limit - s.used)), 0)
  return { states, closed: states.find(isFull) ?? null, room }
}

export type SlotResult = { ok: true; slot: SubmitSlot } | { ok: false; refusal: CapState }

/**
 * Reserves one new submission under every budget, atomically (nothing is counted when one is
 * full); else names the budget that refused. A reservation lost to a concurrent release is retried.
 */
export async function takeSubmitSlot(db: D1Database, config: Config, now: number): Promise<SlotResult> {
  const limits = { daily: config.submitCaps.daily, monthly: config.submitCaps.monthly, apiCalls: submitApiLimit(config) }
  for (let attempt = 0; attempt < 3; attempt++) {
    const slot = await reserveSubmitSlot(db, now, limits)
    if (slot) return { ok: true, slot }
    const { closed } = await submitWindow(db, config, now)
    if (closed) return { ok: false, refusal: closed }
  }
  throw new Error('could not reserve a submission slot (usage kept changing)')
}

/** The held-back application's last_error: `SUBMIT_CAP_DAILY: …` (no personal data). */
export function capLastError(state: CapState): string {
  const what =
    state.cap === 'reserve'
      ? `DingTalk API calls this month reached ${state.used} of ${state.limit} (the rest is kept for polling)`
      : `${state.used} of ${state.limit} new DingTalk submissions this ${state.cap === 'daily' ? 'day' : 'month'} (${state.period})`
  return `${CAP_ERROR_PREFIX}_${state.cap.toUpperCase()}: ${what}; kept, next try ${iso(state.retryAt)}`
}

export const capAlertDetails = (state: CapState) => ({ cap: state.limit, used: state.used, period: state.period, reopensAt: iso(state.reopensAt) })

/** The alert of a refusing budget: a first refusal notifies, later ones only count (store.ts dedupes). */
export function raiseCapAlert(deps: AlertDeps, state: CapState, now: number): Promise<void> {
  return raiseAlert(deps, { code: 'SUBMIT_CAP_REACHED', subject: state.cap, details: capAlertDetails(state), now })
}

/** Resolves SUBMIT_CAP_REACHED for every budget that has room again. Which were resolved. */
export async function resolveCapAlerts(deps: AlertDeps, states: readonly CapState[], now: number): Promise<CapKind[]> {
  const firing = await listFiringAlerts(deps.db, 'SUBMIT_CAP_REACHED')
  const resolved: CapKind[] = []
  for (const state of states) {
    if (isFull(state) || !firing.some((alert) => alert.subject === state.cap)) continue
    if (await resolveAlert(deps, { code: 'SUBMIT_CAP_REACHED', subject: state.cap, now })) resolved.push(state.cap)
  }
  return resolved
}

type DeferTarget = { id: string } | { due: true }

/**
 * Holds back `submitted` applications (one, or every one due at `now`) until the budget's retryAt:
 * next_submit_at, last_error and submit_deferred_until, and a `submission.deferred` note once per
 * application, budget and period (its dedupe key). One batch; how many were held back.
 */
export async function deferSubmissions(db: D1Database, state: CapState, target: DeferTarget, now: number, source: EventSource): Promise<number> {
  const which = 'id' in target ? 'id = ?1' : 'next_submit_at <= ?1'
  const key = 'id' in target ? target.id : now
  const note = db
    .prepare(
      `INSERT INTO events (id, application_id, type, from_status, to_status, source, dedupe_key, dingtalk_event_id, data, created_at)
       SELECT 'EVT-' || hex(randomblob(8)), id, 'submission.deferred', NULL, NULL, ?2,
              'deferred/' || id || '/' || ?3 || '/' || ?4, NULL, json_object('cap', ?3, 'until', ?5), ?6
       FROM applications WHERE status = 'submitted' AND ${which}
       ON CONFLICT DO NOTHING`,
    )
    .bind(key, source, state.cap, state.period, iso(state.retryAt), now)
  const update = db
    .prepare(
      `UPDATE applications SET next_submit_at = ?2, submit_deferred_until = ?2, last_error = ?3, updated_at = ?4
       WHERE status = 'submitted' AND ${which}`,
    )
    .bind(key, state.retryAt, capLastError(state), now)
  const [, updated] = await db.batch([note, update])
  return updated.meta.changes
}
