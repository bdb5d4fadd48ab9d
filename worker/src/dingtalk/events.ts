// DingTalk approval outcomes, whether pushed (bpms_instance_change, dingtalk.md §5.1) or polled
// (GET instance, §3.1), reduced to one shape so both paths dedupe on the same key.
import type { InstanceState } from './client.ts'

export type InstanceEvent = {
  instanceId: string
  /** `start`, `finish` or `terminate` (others are recorded, not acted on). */
  type: string
  /** `agree` or `refuse` on `finish`; empty otherwise. */
  result: string
  eventId: string | null
  /** The refusing approver's remark, when the instance detail was read (a poll); never from a push. */
  comment?: string | null
}

export type Decision = 'approved' | 'rejected' | 'withdrawn'

export type ParsedEvent = { ok: true; event: InstanceEvent } | { ok: false; reason: string } | { ok: 'other'; eventType: string }

const MAX_ID = 128

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID ? value : null
}

/** Reads the flat push body. Event types other than bpms_instance_change come back as `other`. */
export function parseInstanceEvent(body: unknown): ParsedEvent {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, reason: 'the event must be a JSON object' }
  const record = body as Record<string, unknown>
  const eventType = record.EventType ?? record.eventType
  if (eventType !== undefined && eventType !== 'bpms_instance_change') return { ok: 'other', eventType: String(eventType) }
  const instanceId = text(record.processInstanceId)
  const type = text(record.type)
  if (!instanceId || !type) return { ok: false, reason: 'the event lacks processInstanceId or type' }
  const result = typeof record.result === 'string' ? record.result : ''
  const eventId = text(record.eventId) ?? text(record.EventId)
  return { ok: true, event: { instanceId, type, result, eventId } }
}

/** What an event means for the application; null when it changes nothing (e.g. `start`). */
export function decisionOf(event: Pick<InstanceEvent, 'type' | 'result'>): Decision | null {
  if (event.type === 'finish' && event.result === 'agree') return 'approved'
  if (event.type === 'finish' && event.result === 'refuse') return 'rejected'
  if (event.type === 'terminate') return 'withdrawn'
  return null
}

/** The event a polled instance state stands for; null while it is still running (or unknown). */
export function eventFromState(instanceId: string, state: Pick<InstanceState, 'status' | 'result'> & Partial<Pick<InstanceState, 'refusalRemark'>>): InstanceEvent | null {
  if (state.status === 'COMPLETED' && (state.result === 'agree' || state.result === 'refuse')) {
    const comment = state.result === 'refuse' ? (state.refusalRemark ?? null) : null
    return { instanceId, type: 'finish', result: state.result, eventId: null, ...(comment ? { comment } : {}) }
  }
  if (state.status === 'TERMINATED' || state.status === 'CANCELED') {
    return { instanceId, type: 'terminate', result: '', eventId: null }
  }
  return null
}

/** Dedupe key shared by pushes and polls: one row per (instance, type) ever. */
export function dedupeKeyOf(event: Pick<InstanceEvent, 'instanceId' | 'type'>): string {
  return `dingtalk:${event.instanceId}:${event.type}`
}
