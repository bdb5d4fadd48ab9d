// The console's Resubmit (docs/console.md, "Actions"): a `failed` application that never reached
// DingTalk goes back to `submitted`, due now, with a fresh attempt count and one-day clock; a stuck
// `submitted` one is made due now. Never a second instance: one with an instance id is refused, and
// one that was ever tried is searched for in DingTalk before it is created again (submission.ts).
import type { Application } from '../db/applications.ts'
import { claimSubmit, getApplication } from '../db/applications.ts'
import { getEventByDedupeKey, insertEventStatement } from '../db/events.ts'
import { getLicenseByApplication } from '../db/licenses.ts'
import { ActionRefusedError } from '../errors.ts'
import { newEventId } from '../ids.ts'
import { applyTransition } from '../lifecycle.ts'
import { actionDedupeKey, type ActionDeps, type ActionInput } from './action.ts'
import { submitToDingTalk, type SubmitDeps } from '../submission.ts'
import { LEASE_MS } from '../backoff.ts'

export type ResubmitResult = { status: 'submitted'; duplicate: boolean }

export async function resubmitApplication(deps: ActionDeps, app: Application, input: ActionInput): Promise<ResubmitResult> {
  const { db, now, operator } = deps
  const dedupeKey = input.idempotencyKey ? actionDedupeKey('resubmit', app.id, input.idempotencyKey) : null
  if (dedupeKey && (await getEventByDedupeKey(db, dedupeKey))) return { status: 'submitted', duplicate: true }
  const refuse = () => new ActionRefusedError('RESUBMIT_NOT_ALLOWED', app.status)
  if (app.dingtalkInstanceId !== null) throw refuse()
  const data = { operator, reason: input.reason }

  if (app.status === 'failed') {
    // Failed after its approval (the mail): the instance is decided; Resend is the action for it.
    if (await getLicenseByApplication(db, app.id)) throw refuse()
    // Any earlier attempt may have made an instance whose answer was lost (a give-up on a timeout
    // records no outcome-unknown time): search from the first attempt before creating again, and
    // not before SUBMIT_ADOPT_AFTER_MS past that time (submission.ts waits, cron searches).
    const searchSince = app.submitOutcomeUnknownAt ?? (app.submitAttempts > 0 ? app.createdAt : null)
    const result = await applyTransition(db, {
      applicationId: app.id,
      from: 'failed',
      to: 'submitted',
      type: 'operator.resubmit',
      source: 'operator',
      now,
      dedupeKey,
      data: { ...data, searchFirst: searchSince !== null },
      set: { nextSubmitAt: now, submitAttempts: 0, lastError: null, submitDeferredUntil: now, submitOutcomeUnknownAt: searchSince },
    })
    if (result === 'duplicate') return { status: 'submitted', duplicate: true }
    if (result === 'stale') throw refuse()
    return { status: 'submitted', duplicate: false }
  }

  if (app.status === 'submitted') {
    // Due within a lease already, or being submitted right now: nothing to nudge (and moving
    // next_submit_at would break the lease of the one submitting it).
    if (app.nextSubmitAt !== null && app.nextSubmitAt <= now + LEASE_MS) return { status: 'submitted', duplicate: true }
    const eventId = newEventId()
    const event = insertEventStatement(
      db,
      { id: eventId, applicationId: app.id, type: 'operator.resubmit', fromStatus: null, toStatus: null, source: 'operator', dedupeKey, dingtalkEventId: null, data: { ...data, stuckUntil: app.nextSubmitAt }, createdAt: now },
      'submitted',
    )
    const nudge = db
      .prepare(
        `UPDATE applications SET next_submit_at = ?2, submit_deferred_until = ?2, updated_at = ?2
         WHERE id = ?1 AND status = 'submitted' AND (next_submit_at IS NULL OR next_submit_at > ?2 + ?3)
           AND EXISTS (SELECT 1 FROM events WHERE id = ?4)`,
      )
      .bind(app.id, now, LEASE_MS, eventId)
    const [written] = await db.batch([event, nudge])
    if (written.meta.changes === 0) {
      if (dedupeKey && (await getEventByDedupeKey(db, dedupeKey))) return { status: 'submitted', duplicate: true }
      throw refuse()
    }
    return { status: 'submitted', duplicate: false }
  }
  throw refuse()
}

/** Submits it now if it is due and no one else holds it (the lease), as the API does after storing. */
export async function submitNow(deps: Omit<SubmitDeps, 'source'>, applicationId: string): Promise<void> {
  const app = await getApplication(deps.db, applicationId)
  if (!app || app.status !== 'submitted') return
  if (!(await claimSubmit(deps.db, app.id, deps.now, deps.now + LEASE_MS))) return
  await submitToDingTalk({ ...deps, source: 'operator' }, app)
}
