// The console's Withdraw (docs/console.md, "Actions"): an application that should not proceed is
// ended as `withdrawn`. The worker does not terminate DingTalk instances yet, so only one that is not
// (and cannot be) in DingTalk is withdrawn here: `submitted` and not being sent, or `failed`. One
// awaiting approval is refused with WITHDRAW_INSTANCE_RUNNING: withdraw it in DingTalk instead.
import type { Application } from '../db/applications.ts'
import { getEventByDedupeKey } from '../db/events.ts'
import { ActionRefusedError } from '../errors.ts'
import { applyTransition } from '../lifecycle.ts'
import { actionDedupeKey, type ActionDeps, type ActionInput } from './action.ts'
import { LEASE_MS } from '../backoff.ts'

export type WithdrawResult = { status: 'withdrawn'; duplicate: boolean }

/** Why it may be in DingTalk now: awaiting approval, a lost create, or a submit holding its lease. */
function mayBeInDingTalk(app: Application, now: number): boolean {
  if (app.status === 'pending_approval' || app.submitOutcomeUnknownAt !== null) return true
  if (app.status !== 'submitted') return false
  // next_submit_at is the lease of a submit under way (LEASE_MS ahead): it may be creating now.
  return app.nextSubmitAt !== null && app.nextSubmitAt > now && app.nextSubmitAt <= now + LEASE_MS
}

export async function withdrawApplication(deps: ActionDeps, app: Application, input: ActionInput): Promise<WithdrawResult> {
  const { db, now, operator } = deps
  const dedupeKey = input.idempotencyKey ? actionDedupeKey('withdraw', app.id, input.idempotencyKey) : null
  if (dedupeKey && (await getEventByDedupeKey(db, dedupeKey))) return { status: 'withdrawn', duplicate: true }
  // Already what was asked for.
  if (app.status === 'withdrawn') return { status: 'withdrawn', duplicate: true }
  if (mayBeInDingTalk(app, now)) throw new ActionRefusedError('WITHDRAW_INSTANCE_RUNNING', app.status)
  if (app.status !== 'submitted' && app.status !== 'failed') throw new ActionRefusedError('WITHDRAW_NOT_ALLOWED', app.status)
  const result = await applyTransition(db, {
    applicationId: app.id,
    from: app.status,
    to: 'withdrawn',
    type: 'operator.withdraw',
    source: 'operator',
    now,
    dedupeKey,
    data: { operator, reason: input.reason },
    set: { nextSubmitAt: null, nextPollAt: null },
  })
  if (result === 'duplicate') return { status: 'withdrawn', duplicate: true }
  // Moved on meanwhile (submitted to DingTalk, say): ask again and get that state's answer.
  if (result === 'stale') throw new ActionRefusedError('WITHDRAW_INSTANCE_RUNNING', app.status)
  return { status: 'withdrawn', duplicate: false }
}
