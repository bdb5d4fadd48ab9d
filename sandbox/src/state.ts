// Everything the sandbox remembers, in memory and inspectable by tests: instances, the token,
// pushes, emails, idempotency records, call counts, rate windows and injected faults.
import type { Instance } from './instance.ts'

/** Query-parameter names of a push: DingTalk's documented `signature`/`timestamp`, the Java
 * samples' `msg_signature`/`timeStamp`, or both (dingtalk.md §4.2). */
export type PushSpelling = 'signature' | 'msg_signature' | 'both'
export const PUSH_SPELLINGS: readonly PushSpelling[] = ['signature', 'msg_signature', 'both']

export type PushOutcome = 'delivered' | 'bad_reply' | 'http_error' | 'timeout' | 'network_error' | 'blocked'

export type PushAttempt = { at: number; statusCode: number | null; outcome: PushOutcome; detail?: string; durationMs: number }

export type DeliveryStatus = 'delivering' | 'retrying' | 'delivered' | 'failed' | 'skipped'

export type Delivery = {
  id: string
  kind: 'event' | 'check_url'
  instanceId?: string
  eventId?: string
  type: string
  spelling: PushSpelling
  /** A one-shot delivery asked for through the control API: no retries. */
  manual: boolean
  /** Set for events sent over the Stream gateway (attempt outcomes mapped onto PushOutcome). */
  channel?: 'stream'
  status: DeliveryStatus
  attempts: PushAttempt[]
  nextAttemptAt?: number
  createdAt: number
}

/** An event whose retries ran out, served by get_call_back_failed_result (dingtalk.md §5.3). */
export type FailedPush = { eventId: string; eventTime: number; data: Record<string, unknown> }

export type StoredAttachment = { filename?: string; content?: string; path?: string; content_type?: string; content_id?: string }

export type StoredEmail = {
  id: string
  from: string
  to: string[]
  cc: string[]
  bcc: string[]
  reply_to: string[]
  subject: string
  html?: string
  text?: string
  attachments: StoredAttachment[]
  headers: Record<string, string>
  tags: { name: string; value: string }[]
  scheduled_at?: string
  idempotency_key?: string
  created_at: string
}

export type DingTalkDown = false | '503' | 'reset' | 'hang'

export type Faults = {
  /** DingTalk API answers 503, resets the connection, or never answers. */
  dingtalkDown: DingTalkDown
  /** The next N `POST /emails` answer 500 application_error. */
  mailFailures: number
  /** `POST /emails` holds each request this long before answering (to test concurrency). */
  mailDelayMs: number
  /** Pushes never reach the receiver (counted as network failures, so they retry and fail). */
  pushBlocked: boolean
  /** A create makes its instance at once but answers this many ms later (a slow DingTalk). */
  createDelayMs: number
  /** The next N `POST /emails` answer 429 rate_limit_exceeded with `retry-after: mailRetryAfterSeconds`. */
  mailThrottled: number
  /** Recipients Resend refuses with 422 validation_error (a permanent failure), e.g. a mistyped domain. */
  mailRejectTo: string[]
  mailRetryAfterSeconds: number
  /** The template stops allowing 撤销 (as if DINGTALK_ALLOW_WITHDRAW were false) while set. */
  withdrawForbidden: boolean
}

export type IdempotencyEntry = {
  fingerprint: string
  createdAt: number
  done: boolean
  status?: number
  body?: unknown
}

export type SandboxState = {
  instances: Map<string, Instance>
  businessSeq: number
  taskSeq: number
  token: { value: string; expiresAt: number } | undefined
  deliveries: Delivery[]
  failedPushes: FailedPush[]
  emails: StoredEmail[]
  /** Keyed by `<api key>\n<idempotency key>`. */
  idempotency: Map<string, IdempotencyEntry>
  /** month (China time) → `<METHOD> <path>` → count. */
  calls: Map<string, Map<string, number>>
  faults: Faults
  mailRate: Map<string, number[]>
  qps: Map<string, number[]>
}

export function noFaults(): Faults {
  return { dingtalkDown: false, mailFailures: 0, mailDelayMs: 0, pushBlocked: false, createDelayMs: 0, mailThrottled: 0, mailRetryAfterSeconds: 1, mailRejectTo: [], withdrawForbidden: false }
}

export function createState(): SandboxState {
  return {
    instances: new Map(),
    businessSeq: 0,
    taskSeq: 0,
    token: undefined,
    deliveries: [],
    failedPushes: [],
    emails: [],
    idempotency: new Map(),
    calls: new Map(),
    faults: noFaults(),
    mailRate: new Map(),
    qps: new Map(),
  }
}

/** Empties everything in place, so holders of the object see the reset. */
export function resetState(state: SandboxState): void {
  Object.assign(state, createState())
}

/** Sliding one-second window: true when another hit fits under `limit` (0 = unlimited). */
export function takeSlot(windows: Map<string, number[]>, key: string, limit: number, now: number): boolean {
  if (limit <= 0) return true
  const recent = (windows.get(key) ?? []).filter((at) => now - at < 1000)
  if (recent.length >= limit) {
    windows.set(key, recent)
    return false
  }
  recent.push(now)
  windows.set(key, recent)
  return true
}
