// The console's Withdraw (docs/console.md, "Actions"): an application that should not proceed is
// ended as `withdrawn`. One not in DingTalk (`submitted` and not being sent, or `failed`) directly;
// one awaiting approval by terminating its DingTalk instance first (dingtalk.md §3.3). One whose
// create may be in flight is refused with WITHDRAW_SUBMIT_IN_FLIGHT: it may be in DingTalk unseen.
import { countApiCall } from '../db/api-usage.ts'
import { getApplication, type Application } from '../db/applications.ts'
import { enteredStatusAt, getEventByDedupeKey } from '../db/events.ts'
import type { DingTalkClient } from '../dingtalk/client.ts'
import { dedupeKeyOf } from '../dingtalk/events.ts'
import { ActionRefusedError, WithdrawNotPermittedError, WithdrawRetryLaterError } from '../errors.ts'
import { applyTransition, recordNote } from '../lifecycle.ts'
import { actionDedupeKey, type ActionDeps, type ActionInput } from './action.ts'
import { LEASE_MS } from '../backoff.ts'

export type WithdrawDeps = ActionDeps & {
  dingtalk: DingTalkClient
  /** DINGTALK_ORIGINATOR_USER_ID: the user the worker creates instances as, who may withdraw them. */
  originatorUserId: string
}

/** `terminated`: the DingTalk instance was ended (by this withdraw, or before it). */
export type WithdrawResult = { status: 'withdrawn'; duplicate: boolean; terminated?: true }

/** DingTalk refuses a terminate this soon after the create (revoke-an-approval-instance). */
export const TERMINATE_MIN_AGE_MS = 15_000
/**
 * The reason as DingTalk's remark: at most 256 code points, so within its 1024-character limit
 * however it counts (UTF-8 bytes included). Reasons are 3–500 characters (action-input.ts).
 */
export const MAX_REMARK_CODE_POINTS = 256

export function remarkOf(reason: string): string {
  const points = [...reason]
  return points.length <= MAX_REMARK_CODE_POINTS ? reason : `${points.slice(0, MAX_REMARK_CODE_POINTS - 1).join('')}…`
}

/** A create may be under way or lost: a submit holding its lease, or an outcome still unknown. */
function submitInFlight(app: Application, now: number): boolean {
  if (app.submitOutcomeUnknownAt !== null) return true
  if (app.status !== 'submitted') return false
  // next_submit_at is the lease of a submit under way (LEASE_MS ahead): it may be creating now.
  return app.nextSubmitAt !== null && app.nextSubmitAt > now && app.nextSubmitAt <= now + LEASE_MS
}

export async function withdrawApplication(deps: WithdrawDeps, app: Application, input: ActionInput): Promise<WithdrawResult> {
  const { db, now, operator } = deps
  const dedupeKey = input.idempotencyKey ? actionDedupeKey('withdraw', app.id, input.idempotencyKey) : null
  if (dedupeKey && (await getEventByDedupeKey(db, dedupeKey))) return { status: 'withdrawn', duplicate: true }
  // Already what was asked for.
  if (app.status === 'withdrawn') return { status: 'withdrawn', duplicate: true }
  if (app.status === 'pending_approval') return withdrawInDingTalk(deps, app, input)
  if (submitInFlight(app, now)) throw new ActionRefusedError('WITHDRAW_SUBMIT_IN_FLIGHT', app.status)
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
  // Moved on meanwhile (a submit took it, say): ask again and get that state's answer.
  if (result === 'stale') throw new ActionRefusedError('WITHDRAW_SUBMIT_IN_FLIGHT', app.status)
  return { status: 'withdrawn', duplicate: false }
}

/**
 * Terminates the instance, then records the withdraw. The event takes the dedupe key DingTalk's
 * `terminate` event for the instance has (dingtalk/events.ts), so that event, pushed or polled
 * after, is a duplicate that changes nothing. Nothing is recorded when DingTalk cannot be reached
 * or refuses: the application stays `pending_approval`.
 */
async function withdrawInDingTalk(deps: WithdrawDeps, app: Application, input: ActionInput): Promise<WithdrawResult> {
  const { db, now, operator, dingtalk } = deps
  const instanceId = app.dingtalkInstanceId
  if (!instanceId) throw new Error(`application ${app.id} is pending_approval without a DingTalk instance`)
  await countApiCall(db, now)
  const answer = await dingtalk.terminateInstance({ instanceId, operatingUserId: deps.originatorUserId, remark: remarkOf(input.reason) })
  if (answer.outcome === 'not_permitted') throw new WithdrawNotPermittedError(answer.upstreamCode)
  let before = false
  if (answer.outcome === 'not_running') {
    // One code for "too soon" and "already ended": DingTalk's state tells which.
    await countApiCall(db, now)
    const state = await dingtalk.getInstance(instanceId)
    if (state.status === 'COMPLETED') throw new ActionRefusedError('WITHDRAW_TOO_LATE', app.status)
    if (state.status !== 'TERMINATED' && state.status !== 'CANCELED') throw new WithdrawRetryLaterError(app.status, await retryAfterSeconds(db, app, now))
    // Ended already (this withdraw's earlier attempt, or someone in DingTalk): withdrawn all the same.
    before = true
  }
  const terminateKey = dedupeKeyOf({ instanceId, type: 'terminate' })
  const data = { operator, reason: input.reason, terminated: true, instanceId, ...(before ? { alreadyTerminated: true } : {}) }
  const result = await applyTransition(db, {
    applicationId: app.id,
    from: 'pending_approval',
    to: 'withdrawn',
    type: 'operator.withdraw',
    source: 'operator',
    now,
    dedupeKey: terminateKey,
    data,
    set: { nextPollAt: null, nextSubmitAt: null },
  })
  if (result === 'applied') return { status: 'withdrawn', duplicate: false, terminated: true }
  const holder = await getEventByDedupeKey(db, terminateKey)
  // The same withdraw sent twice at once: the other one recorded it.
  if (holder?.type === 'operator.withdraw') return { status: 'withdrawn', duplicate: true, terminated: true }
  const current = await getApplication(db, app.id)
  if (current?.status === 'withdrawn') {
    // DingTalk's terminate event outran this answer and withdrew it: keep who asked and why.
    await recordNote(db, { applicationId: app.id, type: 'operator.withdraw', source: 'operator', now, dedupeKey: input.idempotencyKey ? actionDedupeKey('withdraw', app.id, input.idempotencyKey) : null, data })
    return { status: 'withdrawn', duplicate: false, terminated: true }
  }
  throw new ActionRefusedError('WITHDRAW_TOO_LATE', current?.status ?? app.status)
}

/** Seconds until the instance is TERMINATE_MIN_AGE_MS old (from when it was recorded), 1–15. */
async function retryAfterSeconds(db: D1Database, app: Application, now: number): Promise<number> {
  const since = (await enteredStatusAt(db, app.id, 'pending_approval')) ?? app.updatedAt
  const left = Math.ceil((since + TERMINATE_MIN_AGE_MS - now) / 1000)
  return Math.min(Math.max(left, 1), TERMINATE_MIN_AGE_MS / 1000)
}
