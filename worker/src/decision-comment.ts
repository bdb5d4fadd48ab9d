// The refusing approver's remark: read from DingTalk's instance detail (the push never carries
// it), kept in an event's data — on the `rejected` transition when a poll decided, or in a
// `dingtalk.remark` note when a push did — and shown to the applicant only when
// SHOW_APPROVER_COMMENT is true (the rejection mail, GET /api/applications/:id).
import type { Config } from './config.ts'
import type { AppEvent } from './db/events.ts'
import type { Application } from './db/applications.ts'
import { countApiCall } from './db/api-usage.ts'
import type { DingTalkClient } from './dingtalk/client.ts'
import { recordNote } from './lifecycle.ts'
import { errorFields, type Logger } from './log.ts'

export const REMARK_NOTE = 'dingtalk.remark'

/** The remark the events hold, or null; the latest wins. */
export function approverRemarkOf(events: readonly AppEvent[]): string | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]
    const fromRefusal = event.toStatus === 'rejected' || event.type === REMARK_NOTE
    const comment = event.data?.comment
    if (fromRefusal && typeof comment === 'string' && comment.trim() !== '') return comment.trim()
  }
  return null
}

/** What the applicant may be shown: the remark when the vendor allows it, else null. */
export function decisionCommentOf(config: Pick<Config, 'showApproverComment'>, app: Pick<Application, 'status'>, events: readonly AppEvent[]): string | null {
  if (!config.showApproverComment || app.status !== 'rejected') return null
  return approverRemarkOf(events)
}

/** GET /api/applications/:id's `decisionComment`, present only when there is one to show. */
export function decisionCommentField(config: Pick<Config, 'showApproverComment'>, app: Pick<Application, 'status'>, events: readonly AppEvent[]): { decisionComment?: string } {
  const comment = decisionCommentOf(config, app, events)
  return comment === null ? {} : { decisionComment: comment }
}

export type FetchRemarkDeps = { db: D1Database; dingtalk: DingTalkClient; log: Logger; now: number }

/**
 * After a pushed refusal: one instance-detail call (counted against the monthly API budget) for
 * the remark, kept as a note. A failure only costs the comment; the rejection goes out regardless.
 */
export async function fetchApproverRemark(deps: FetchRemarkDeps, app: Application, instanceId: string): Promise<string | null> {
  try {
    await countApiCall(deps.db, deps.now)
    const remark = (await deps.dingtalk.getInstance(instanceId)).refusalRemark
    if (remark) {
      await recordNote(deps.db, { applicationId: app.id, type: REMARK_NOTE, source: 'dingtalk', now: deps.now, dedupeKey: `dingtalk:${instanceId}:remark`, data: { instanceId, comment: remark } })
    }
    return remark
  } catch (err) {
    deps.log.warn('could not read the approver remark; the rejection goes out without it', { applicationId: app.id, instanceId, ...errorFields(err) })
    return null
  }
}
