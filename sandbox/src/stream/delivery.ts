// Stream delivery of instance events (dingtalk.md §6): each event is sent as an EVENT frame to a
// connection the gateway picks; without a SUCCESS ack within SANDBOX_STREAM_REDELIVER_MS (no ack,
// or LATER) it is sent again, and after SANDBOX_STREAM_ATTEMPTS sends it joins the failed-push list.
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { SandboxConfig } from '../config.ts'
import type { InstanceEvent } from '../instance.ts'
import type { Delivery, PushAttempt, PushOutcome, SandboxState } from '../state.ts'
import { eventFrame, type Frame, type Reply } from './frames.ts'

export type StreamAttemptOutcome = 'pending' | 'acked' | 'later' | 'no_ack' | 'no_connection' | 'blocked'

export type StreamAttempt = {
  at: number
  outcome: StreamAttemptOutcome
  connectionId?: string
  messageId?: string
  ackAt?: number
  /** SUCCESS arrived after the event had already been sent again or given up. */
  late?: boolean
}

export type StreamEventRecord = {
  eventId: string
  instanceId: string
  type: string
  manual: boolean
  status: 'delivering' | 'acked' | 'failed'
  createdAt: number
  attempts: StreamAttempt[]
  /** SUCCESS acks received, over all sends: more than one means a duplicate delivery was acked. */
  acks: number
  later: number
  event: InstanceEvent
  delivery: Delivery
  timer?: NodeJS.Timeout
  settled?: () => void
}

/** The connection side, supplied by the gateway. */
export type StreamTarget = { id: string; delivered: number; acked: number }
export type Outbox = { pick(): StreamTarget | undefined; send(target: StreamTarget, frame: Frame): void }

export type StreamDeliveryOptions = { config: SandboxConfig; state: SandboxState; now: () => number; logger: Logger; appId: string }

/** A manual one-shot send waits at most this for its ack (DingTalk's Stream push timeout is 3 s). */
const MANUAL_WAIT_MS = 3_000

const PUSH_OUTCOME: Record<Exclude<StreamAttemptOutcome, 'pending'>, PushOutcome> = {
  acked: 'delivered',
  later: 'bad_reply',
  no_ack: 'timeout',
  no_connection: 'network_error',
  blocked: 'blocked',
}

export function createStreamDelivery({ config, state, now, logger, appId }: StreamDeliveryOptions) {
  let records: StreamEventRecord[] = []
  const byMessage = new Map<string, { record: StreamEventRecord; attempt: StreamAttempt }>()
  let outbox: Outbox = { pick: () => undefined, send: () => undefined }

  function mirror(record: StreamEventRecord, attempt: StreamAttempt): void {
    if (attempt.outcome === 'pending') return
    const detail = attempt.outcome === 'later' ? 'acked LATER' : attempt.outcome === 'no_ack' ? 'no ack' : attempt.outcome === 'no_connection' ? 'no live Stream connection' : undefined
    const pushAttempt: PushAttempt = { at: attempt.at, statusCode: null, outcome: PUSH_OUTCOME[attempt.outcome], durationMs: (attempt.ackAt ?? now()) - attempt.at, ...(detail ? { detail } : {}) }
    record.delivery.attempts.push(pushAttempt)
  }

  function send(record: StreamEventRecord): void {
    if (record.status !== 'delivering') return
    const at = now()
    const attempt: StreamAttempt = { at, outcome: 'pending' }
    record.attempts.push(attempt)
    const target = state.faults.pushBlocked ? undefined : outbox.pick()
    if (state.faults.pushBlocked) attempt.outcome = 'blocked'
    else if (!target) attempt.outcome = 'no_connection'
    else {
      const frame = eventFrame({ appId, connectionId: target.id, corpId: config.dingtalk.corpId, eventType: 'bpms_instance_change', eventId: record.eventId, bornAt: record.event.at, now: at, data: { ...record.event.plaintext } })
      attempt.connectionId = target.id
      attempt.messageId = frame.headers.messageId
      byMessage.set(attempt.messageId, { record, attempt })
      target.delivered += 1
      outbox.send(target, frame)
    }
    mirror(record, attempt)
    logger.info({ eventId: record.eventId, type: record.type, attempt: record.attempts.length, connectionId: attempt.connectionId, outcome: attempt.outcome }, 'stream event sent')
    const wait = record.manual ? Math.min(MANUAL_WAIT_MS, config.stream.redeliverMs) : config.stream.redeliverMs
    record.delivery.status = 'delivering'
    record.delivery.nextAttemptAt = at + wait
    record.timer = setTimeout(() => expire(record), wait)
  }

  function expire(record: StreamEventRecord): void {
    record.timer = undefined
    const last = record.attempts.at(-1)
    if (last?.outcome === 'pending') {
      last.outcome = 'no_ack'
      mirror(record, last)
    }
    if (record.status !== 'delivering') return
    if (record.manual || record.attempts.length >= config.stream.attempts) return fail(record)
    record.delivery.status = 'retrying'
    send(record)
  }

  function fail(record: StreamEventRecord): void {
    record.status = 'failed'
    record.delivery.status = 'failed'
    record.delivery.nextAttemptAt = undefined
    if (!record.manual) state.failedPushes.push({ eventId: record.eventId, eventTime: record.event.at, data: { ...record.event.plaintext } })
    logger.warn({ eventId: record.eventId, attempts: record.attempts.length }, 'stream event failed')
    record.settled?.()
  }

  function succeed(record: StreamEventRecord): void {
    if (record.status === 'failed' && !record.manual) {
      // acked after it was given up: take it back off the failed list if not handed out yet
      const index = state.failedPushes.findIndex((failed) => failed.eventId === record.eventId)
      if (index >= 0) state.failedPushes.splice(index, 1)
    }
    record.status = 'acked'
    record.delivery.status = 'delivered'
    record.delivery.nextAttemptAt = undefined
    clearTimeout(record.timer)
    record.timer = undefined
    record.settled?.()
  }

  function start(instanceId: string, event: InstanceEvent, manual: boolean): StreamEventRecord {
    const delivery: Delivery = { id: randomUUID(), kind: 'event', instanceId, eventId: event.eventId, type: event.type, spelling: 'signature', manual, channel: 'stream', status: 'delivering', attempts: [], createdAt: now() }
    state.deliveries.push(delivery)
    const record: StreamEventRecord = { eventId: event.eventId, instanceId, type: event.type, manual, status: 'delivering', createdAt: now(), attempts: [], acks: 0, later: 0, event, delivery }
    records.push(record)
    send(record)
    return record
  }

  return {
    records: () => records,
    attach(next: Outbox) {
      outbox = next
    },

    deliver(instanceId: string, event: InstanceEvent): Delivery {
      return start(instanceId, event, false).delivery
    },

    /** One send of an already sent event (same eventId), resolved once acked or given up. */
    redeliver(instanceId: string, event: InstanceEvent): Promise<Delivery> {
      return new Promise((resolve) => {
        const record = start(instanceId, event, true)
        if (record.status !== 'delivering') return resolve(record.delivery)
        record.settled = () => resolve(record.delivery)
      })
    },

    /** An ack or other reply from a client; false when it answers no event frame. */
    onReply(target: StreamTarget, reply: NonNullable<Reply>): boolean {
      const entry = byMessage.get(reply.messageId)
      if (!entry) return false
      const { record, attempt } = entry
      const at = now()
      if (reply.status === 'SUCCESS') {
        record.acks += 1
        target.acked += 1
        attempt.late = attempt.outcome !== 'pending' || record.status !== 'delivering'
        if (attempt.outcome === 'pending') {
          attempt.outcome = 'acked'
          attempt.ackAt = at
          mirror(record, attempt)
        } else {
          attempt.ackAt = at
        }
        logger.info({ eventId: record.eventId, connectionId: target.id, late: attempt.late }, 'stream event acked')
        if (record.status !== 'acked') succeed(record)
      } else if (attempt.outcome === 'pending') {
        // LATER (or anything but SUCCESS): sent again when the redelivery timer fires
        attempt.outcome = 'later'
        attempt.ackAt = at
        record.later += 1
        mirror(record, attempt)
      }
      return true
    },

    /** A connection came up: events waiting for one are sent now. */
    onConnection(): void {
      for (const record of records) {
        const last = record.attempts.at(-1)
        if (record.status === 'delivering' && last && (last.outcome === 'no_connection' || last.outcome === 'blocked') && !state.faults.pushBlocked) {
          // waiting is not a send: the event goes out now even when its waits used up the count
          clearTimeout(record.timer)
          send(record)
        }
      }
    },

    reset(): void {
      for (const record of records) clearTimeout(record.timer)
      records = []
      byMessage.clear()
    },
  }
}

export type StreamDelivery = ReturnType<typeof createStreamDelivery>
