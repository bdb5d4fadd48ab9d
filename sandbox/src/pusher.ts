// DingTalk's push side: delivers each instance event to SANDBOX_PUSH_URL, retries on DingTalk's
// schedule (10 s, 30 s — dingtalk.md §5.3), then lists it as failed; keeps a log of every attempt.
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { Agent } from 'undici'
import type { SandboxConfig } from './config.ts'
import type { InstanceEvent } from './instance.ts'
import { createPushCrypto } from './push-crypto.ts'
import { sendPush } from './push-transport.ts'
import type { Delivery, PushAttempt, PushSpelling, SandboxState } from './state.ts'

export type Pusher = {
  /** Starts delivering with retries; returns at once. */
  deliver(instanceId: string, event: InstanceEvent, spelling: PushSpelling): Delivery
  /** One attempt of an already sent event (same eventId), answered after it. */
  redeliver(instanceId: string, event: InstanceEvent, spelling: PushSpelling): Promise<Delivery>
  /** Sends `{"EventType":"check_url"}` as the console's 验证有效性 does (dingtalk.md §4.5). */
  checkUrl(spelling: PushSpelling, url?: string): Promise<Delivery>
  /** Drops every scheduled retry (reset, close). */
  cancel(): void
  close(): Promise<void>
}

export type PusherOptions = { config: SandboxConfig; state: SandboxState; now: () => number; logger: Logger }

export function createPusher({ config, state, now, logger }: PusherOptions): Pusher {
  const { dingtalk, push } = config
  // owner key = the app key for a developer-console event subscription (dingtalk.md §4.3)
  const crypto = createPushCrypto({ token: dingtalk.callbackToken, aesKey: dingtalk.callbackAesKey, ownerKey: dingtalk.appKey })
  const dispatcher = new Agent({ keepAliveTimeout: 4_000, connections: 16 })
  const timers = new Set<NodeJS.Timeout>()
  let closed = false
  // bumped by cancel(): an attempt in flight during a reset must not schedule more retries
  let generation = 0

  function newDelivery(fields: Pick<Delivery, 'kind' | 'type' | 'spelling' | 'manual'> & Partial<Delivery>): Delivery {
    const delivery: Delivery = { id: randomUUID(), status: 'delivering', attempts: [], createdAt: now(), ...fields }
    state.deliveries.push(delivery)
    return delivery
  }

  async function attempt(delivery: Delivery, plaintext: string, url: string, timeoutMs: number): Promise<PushAttempt> {
    const result: PushAttempt = state.faults.pushBlocked
      ? { at: now(), statusCode: null, outcome: 'blocked', detail: 'the pushBlocked fault is on', durationMs: 0 }
      : await sendPush({ url, crypto, plaintext, spelling: delivery.spelling, timeoutMs, dispatcher, now })
    delivery.attempts.push(result)
    logger.info({ delivery: delivery.id, type: delivery.type, eventId: delivery.eventId, attempt: delivery.attempts.length, ...result }, 'push attempt')
    return result
  }

  async function run(delivery: Delivery, event: InstanceEvent): Promise<void> {
    const started = generation
    delivery.status = 'delivering'
    delivery.nextAttemptAt = undefined
    const result = await attempt(delivery, JSON.stringify(event.plaintext), push.url as string, push.timeoutMs)
    if (closed || started !== generation) return
    if (result.outcome === 'delivered') {
      delivery.status = 'delivered'
      return
    }
    const retry = delivery.attempts.length - 1
    if (retry >= push.retryDelays.length) {
      delivery.status = 'failed'
      state.failedPushes.push({ eventId: event.eventId, eventTime: event.at, data: { ...event.plaintext } })
      return
    }
    const delay = push.retryDelays[retry]
    delivery.status = 'retrying'
    delivery.nextAttemptAt = now() + delay
    const timer = setTimeout(() => {
      timers.delete(timer)
      void run(delivery, event)
    }, delay)
    timers.add(timer)
  }

  function cancel(): void {
    generation += 1
    for (const timer of timers) clearTimeout(timer)
    timers.clear()
  }

  function skipped(delivery: Delivery): Delivery {
    delivery.status = 'skipped'
    logger.warn({ delivery: delivery.id, type: delivery.type }, 'push skipped: SANDBOX_PUSH_URL is not set')
    return delivery
  }

  return {
    deliver(instanceId, event, spelling) {
      const delivery = newDelivery({ kind: 'event', instanceId, eventId: event.eventId, type: event.type, spelling, manual: false })
      if (!push.url) return skipped(delivery)
      if (closed) return delivery
      void run(delivery, event).catch((error) => logger.error({ err: error }, 'push failed unexpectedly'))
      return delivery
    },

    async redeliver(instanceId, event, spelling) {
      const delivery = newDelivery({ kind: 'event', instanceId, eventId: event.eventId, type: event.type, spelling, manual: true })
      if (!push.url) return skipped(delivery)
      const result = await attempt(delivery, JSON.stringify(event.plaintext), push.url, push.timeoutMs)
      delivery.status = result.outcome === 'delivered' ? 'delivered' : 'failed'
      return delivery
    },

    async checkUrl(spelling, url = push.url) {
      const delivery = newDelivery({ kind: 'check_url', type: 'check_url', spelling, manual: true })
      if (!url) return skipped(delivery)
      const result = await attempt(delivery, JSON.stringify({ EventType: 'check_url' }), url, push.checkUrlTimeoutMs)
      delivery.status = result.outcome === 'delivered' ? 'delivered' : 'failed'
      return delivery
    },

    cancel,

    async close() {
      closed = true
      cancel()
      await dispatcher.destroy()
    },
  }
}
