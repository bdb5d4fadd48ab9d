// How instance events reach the app: DingTalk's HTTP push (pusher.ts) or the Stream gateway
// (stream/), chosen by SANDBOX_EVENTS. Approvals hand every event to one of them.
import type { InstanceEvent } from './instance.ts'
import type { Delivery, PushSpelling } from './state.ts'

export type EventChannel = {
  /** Starts delivering with retries; returns at once. */
  deliver(instanceId: string, event: InstanceEvent, spelling: PushSpelling): unknown
  /** One more send of an already sent event (same eventId), answered after it. */
  redeliver(instanceId: string, event: InstanceEvent, spelling: PushSpelling): Promise<Delivery>
}
