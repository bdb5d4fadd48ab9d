// Reads DingTalk's failed-push list (dingtalk.md §5.3) when pushes may have been missed: some
// application waits for a decision AND (an event was refused / no proxy relayed, or the last look
// is over 6 h old). An entry naming an instance is applied like a pushed event; any other entry
// (its content is undocumented) makes every pending application's poll due now.
import { applyInstanceEvent } from './approval.ts'
import type { Config } from './config.ts'
import { countPendingApproval, getApplicationByInstance } from './db/applications.ts'
import { countApiCall } from './db/api-usage.ts'
import { deleteState, FAILED_PUSHES_CHECKED_AT, getState, PUSH_MISSED_SUSPECTED, setState } from './db/worker-state.ts'
import type { DingTalkClient } from './dingtalk/client.ts'
import { parseInstanceEvent } from './dingtalk/events.ts'
import { errorFields, type Logger } from './log.ts'
import { resolveUnknownInstance } from './resolve-instance.ts'

export const FAILED_PUSHES_EVERY_MS = 6 * 60 * 60_000
/** The list gives ≤ 200 a call; a run reads at most this many pages. */
const MAX_PAGES = 10

export type FailedPushDeps = { db: D1Database; config: Config; dingtalk: DingTalkClient; log: Logger; now: number }
export type FailedPushSummary = { checked: boolean; entries: number; applied: number; pollsTriggered: boolean }

export async function readFailedPushes(deps: FailedPushDeps): Promise<FailedPushSummary> {
  const { db, dingtalk, log, now } = deps
  const summary: FailedPushSummary = { checked: false, entries: 0, applied: 0, pollsTriggered: false }
  if ((await countPendingApproval(db)) === 0) return summary
  const suspected = (await getState(db, PUSH_MISSED_SUSPECTED)) !== null
  const lastChecked = Number((await getState(db, FAILED_PUSHES_CHECKED_AT)) ?? 0)
  if (!suspected && now - lastChecked < FAILED_PUSHES_EVERY_MS) return summary
  summary.checked = true
  let incomplete = false
  for (let page = 0; page < MAX_PAGES; page++) {
    await countApiCall(db, now)
    const { entries, hasMore } = await dingtalk.listFailedPushes()
    for (const entry of entries) {
      summary.entries++
      const parsed = parseInstanceEvent({ ...entry.data, EventType: entry.tag || undefined })
      if (parsed.ok !== true) {
        if (parsed.ok === false) summary.pollsTriggered = true
        continue
      }
      try {
        let app = await getApplicationByInstance(db, parsed.event.instanceId)
        if (!app) {
          const resolved = await resolveUnknownInstance({ ...deps, source: 'cron' }, parsed.event.instanceId)
          app = resolved.kind === 'ours' ? resolved.app : null
        }
        if (app && (await applyInstanceEvent({ db, now, source: 'cron' }, app, parsed.event)).transitioned) summary.applied++
      } catch (err) {
        // The entry is gone from DingTalk's list once read: polling catches its decision instead.
        incomplete = true
        summary.pollsTriggered = true
        log.warn('a failed push could not be applied; polling instead', { instanceId: parsed.event.instanceId, ...errorFields(err) })
      }
    }
    if (!hasMore) break
  }
  if (summary.pollsTriggered) {
    await db.prepare(`UPDATE applications SET next_poll_at = ?1 WHERE status = 'pending_approval' AND next_poll_at > ?1`).bind(now).run()
  }
  await setState(db, FAILED_PUSHES_CHECKED_AT, String(now), now)
  if (!incomplete) await deleteState(db, PUSH_MISSED_SUSPECTED)
  if (summary.entries > 0) log.warn('DingTalk reported failed pushes', summary)
  return summary
}
