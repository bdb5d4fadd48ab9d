// Applies a DingTalk outcome (pushed or polled) to an application: approve → `approved` + the
// license delivery, refuse → `rejected` + the rejection delivery, terminate → `withdrawn`; all in
// one batch. The same event again (same eventId or same instance and type) changes nothing.
import type { Application } from './db/applications.ts'
import { insertDeliveryStatement, type DeliveryKind } from './db/deliveries.ts'
import { decisionOf, dedupeKeyOf, type InstanceEvent } from './dingtalk/events.ts'
import { newDeliveryId } from './ids.ts'
import { applyTransition, recordNote } from './lifecycle.ts'

export type ApplyEventDeps = { db: D1Database; now: number; source: 'dingtalk' | 'cron' }

export type ApplyEventResult = { outcome: 'recorded' | 'duplicate'; transitioned: boolean }

const DELIVERY_OF: Partial<Record<string, DeliveryKind>> = { approved: 'license', rejected: 'rejection' }

export async function applyInstanceEvent(deps: ApplyEventDeps, app: Application, event: InstanceEvent): Promise<ApplyEventResult> {
  const { db, now, source } = deps
  const decision = decisionOf(event)
  const keys = { dedupeKey: dedupeKeyOf(event), dingtalkEventId: event.eventId }
  // The approver's remark on a refusal (decision-comment.ts shows it only when allowed).
  const data = { instanceId: event.instanceId, type: event.type, result: event.result || null, eventId: event.eventId, ...(event.comment ? { comment: event.comment } : {}) }
  const type = `dingtalk.${event.type}`

  if (decision && app.status === 'pending_approval') {
    const kind = DELIVERY_OF[decision]
    const result = await applyTransition(
      db,
      { applicationId: app.id, from: 'pending_approval', to: decision, type, source, now, ...keys, data, set: { nextPollAt: null } },
      {
        after: (eventId) =>
          kind ? [insertDeliveryStatement(db, { id: newDeliveryId(), applicationId: app.id, kind, now }, eventId)] : [],
      },
    )
    if (result === 'applied') return { outcome: 'recorded', transitioned: true }
    if (result === 'duplicate') return { outcome: 'duplicate', transitioned: false }
  }
  // Nothing to change (a `start`, or the application has moved on): keep the event for the record.
  const inserted = await recordNote(db, { applicationId: app.id, type, source, now, ...keys, data: { ...data, status: app.status } })
  return { outcome: inserted ? 'recorded' : 'duplicate', transitioned: false }
}
