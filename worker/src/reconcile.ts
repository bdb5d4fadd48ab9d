// The fallback for lost pushes: polls DingTalk for `pending_approval` applications whose poll is
// due (first after 10 min, then doubling, at most hourly), a few per run and within the monthly
// API budget — all of it: submissions stop DINGTALK_POLL_RESERVE calls earlier (budgets.ts), so
// polling still works when they are paused — and applies the outcome exactly like a pushed event
// (same dedupe key).
import { applyInstanceEvent } from './approval.ts'
import type { Config } from './config.ts'
import { listPollDue, schedulePoll } from './db/applications.ts'
import { apiCallsThisMonth, countApiCall } from './db/api-usage.ts'
import type { DingTalkClient } from './dingtalk/client.ts'
import { eventFromState } from './dingtalk/events.ts'
import { errorFields, type Logger } from './log.ts'
import { pollDelay } from './backoff.ts'
import { EgressUnavailableError } from './errors.ts'
import { suspectMissedPush } from './db/worker-state.ts'

export type ReconcileDeps = { db: D1Database; config: Config; dingtalk: DingTalkClient; log: Logger; now: number }
export type ReconcileSummary = { polled: number; decided: number; skippedForBudget: boolean }

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const { db, config, now, log } = deps
  const summary: ReconcileSummary = { polled: 0, decided: 0, skippedForBudget: false }
  const left = config.dingtalk.monthlyBudget - (await apiCallsThisMonth(db, now))
  const batch = Math.min(config.dingtalk.pollBatch, left)
  if (batch <= 0) {
    summary.skippedForBudget = config.dingtalk.pollBatch > 0
    if (summary.skippedForBudget) log.warn('DingTalk monthly API budget used up; polling paused', { budget: config.dingtalk.monthlyBudget })
    return summary
  }
  for (const app of await listPollDue(db, now, batch)) {
    const instanceId = app.dingtalkInstanceId
    if (!instanceId) continue
    const attempt = app.pollAttempts + 1
    summary.polled++
    try {
      await countApiCall(db, now)
      const state = await deps.dingtalk.getInstance(instanceId)
      const event = eventFromState(instanceId, state)
      if (event) {
        const { transitioned } = await applyInstanceEvent({ db, now, source: 'cron' }, app, event)
        if (transitioned) {
          summary.decided++
          log.info('reconciled a decision the push did not bring', { applicationId: app.id, instanceId, type: event.type, result: event.result })
          continue
        }
      }
      await schedulePoll(db, app.id, { attempts: attempt, nextPollAt: now + pollDelay(attempt), now })
    } catch (err) {
      if (err instanceof EgressUnavailableError) await suspectMissedPush(db, now)
      const lastError = `poll: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500)
      await schedulePoll(db, app.id, { attempts: attempt, nextPollAt: now + pollDelay(attempt), now, lastError })
      log.warn('polling DingTalk failed', { applicationId: app.id, instanceId, ...errorFields(err) })
    }
  }
  return summary
}
