// The proxy's DingTalk Stream client (dingtalk.md §6): opens the outbound connection from the
// egress address, echoes pings, forwards approval events to the worker and acks SUCCESS only after
// the worker's 2xx (otherwise DingTalk redelivers), and replaces a connection that DingTalk
// disconnects or that falls silent by opening the new one first, then closing the old one.
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { fetch as undiciFetch, WebSocket, type Dispatcher } from 'undici'
import type { FetchLike } from '../egress.ts'
import { forwardEvent, type WorkerClientOptions } from '../worker-client.ts'
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts'
import { eventAck, parseFrame, pingEcho, workerBody, type DownstreamFrame } from './frames.ts'
import { dial, type Connection } from './connection.ts'
import type { StreamOpenError } from './open.ts'

export const FORWARDED_STREAM_EVENTS = new Set(['bpms_instance_change'])

export type StreamCheck = 'ok' | 'STREAM_DISCONNECTED'

export type StreamClientOptions = {
  apiBase: URL
  appKey: string
  appSecret: string
  worker: WorkerClientOptions
  logger: Logger
  /** For connections/open; undici's fetch by default. */
  fetch?: FetchLike
  /** The egress dispatcher: connections/open and the WebSocket leave from EGRESS_LOCAL_ADDRESS. */
  dispatcher?: Dispatcher
  now?: () => number
  /** No frame for this long → a new connection (dingtalk.md §6: ~60 s). */
  silenceMs?: number
  backoff?: BackoffOptions
  random?: () => number
  /** connections/open plus the WebSocket handshake. */
  connectTimeoutMs?: number
  /** close() waits this long at most for in-flight forwards before closing the sockets. */
  closeTimeoutMs?: number
}


export type StreamDetails = { check: StreamCheck; connectedSince: number | null; lastFrameAt: number | null; connections: number; failures: number }

export type StreamClient = {
  start(): void
  /** Readiness: 'ok' while a connection is up and has not gone silent or been told to disconnect. */
  status(): StreamCheck
  details(): StreamDetails
  /** Stops reconnecting, lets in-flight forwards finish (bounded), then closes every connection. */
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms).unref())

export function createStreamClient(options: StreamClientOptions): StreamClient {
  const { logger: log } = options
  const now = options.now ?? Date.now
  const fetch = options.fetch ?? undiciFetch
  const silenceMs = options.silenceMs ?? 60_000
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
  const all = new Set<Connection>()
  let current: Connection | undefined
  let connectedSince: number | undefined
  let connecting = false
  let stopped = false
  let failures = 0
  let retryTimer: NodeJS.Timeout | undefined
  /** eventId → outcome of the forward in flight (true = the worker recorded it). */
  const forwarding = new Map<string, Promise<boolean>>()

  function send(connection: Connection, text: string): boolean {
    if (connection.ws.readyState !== WebSocket.OPEN) return false
    connection.ws.send(text)
    return true
  }

  function armSilence(connection: Connection): void {
    clearTimeout(connection.silenceTimer)
    if (connection !== current || stopped) return
    connection.silenceTimer = setTimeout(() => {
      if (connection !== current || stopped) return
      log.warn({ connectionId: connection.id, silentMs: silenceMs }, 'dingtalk stream silent; opening a new connection')
      void establish('silence')
    }, silenceMs)
  }

  function forward(connection: Connection, frame: DownstreamFrame): void {
    const messageId = frame.headers.messageId as string
    const summary = { connectionId: connection.id, messageId, eventId: frame.headers.eventId, eventType: frame.headers.eventType }
    if (stopped) {
      log.info(summary, 'dingtalk stream event left unacknowledged: closing; DingTalk will redeliver')
      return
    }
    const body = workerBody(frame)
    if (!body) {
      log.error(summary, 'dingtalk stream event not forwarded: data is not a JSON object')
      return
    }
    // DingTalk resends an event that is still being forwarded (a slow worker): wait for that forward
    const eventId = frame.headers.eventId
    let outcome = eventId ? forwarding.get(eventId) : undefined
    const requestId = randomUUID()
    if (!outcome) {
      outcome = forwardEvent(options.worker, body, requestId).then(
        (result) => {
          log.info({ ...summary, workerRequestId: requestId, workerStatus: result.status }, 'dingtalk event recorded by the worker')
          return true
        },
        (error: unknown) => {
          log.error({ ...summary, workerRequestId: requestId, reason: (error as Error).message }, 'dingtalk event not recorded; not acknowledged, DingTalk will redeliver')
          return false
        },
      )
      if (eventId) {
        forwarding.set(eventId, outcome)
        void outcome.finally(() => forwarding.delete(eventId))
      }
    } else {
      log.info(summary, 'dingtalk event sent again while its forward is in flight; waiting for that forward')
    }
    const work = outcome.then((recorded) => {
      if (!recorded) return
      if (!send(connection, eventAck(messageId))) log.warn(summary, 'ack not sent: the connection closed; DingTalk will redeliver')
    })
    connection.inflight.add(work)
    void work.finally(() => connection.inflight.delete(work))
  }

  function onFrame(connection: Connection, text: string): void {
    connection.lastFrameAt = now()
    failures = 0
    armSilence(connection)
    const frame = parseFrame(text)
    if (!frame) {
      log.warn({ connectionId: connection.id }, 'dingtalk stream frame ignored: not a frame')
      return
    }
    const topic = frame.headers.topic
    if (frame.type === 'SYSTEM') {
      if (topic === 'ping') send(connection, pingEcho(frame))
      else if (topic === 'disconnect') {
        connection.disconnected = true
        log.info({ connectionId: connection.id }, 'dingtalk stream disconnect received; opening a new connection')
        if (connection === current) void establish('disconnect')
      } else log.debug({ connectionId: connection.id, topic }, 'dingtalk stream system frame')
    } else if (frame.type === 'EVENT') {
      if (FORWARDED_STREAM_EVENTS.has(frame.headers.eventType ?? '')) forward(connection, frame)
      else {
        send(connection, eventAck(frame.headers.messageId as string))
        log.debug({ connectionId: connection.id, eventType: frame.headers.eventType }, 'dingtalk stream event acknowledged without forwarding')
      }
    } else {
      log.debug({ connectionId: connection.id, type: frame.type, topic }, 'dingtalk stream frame ignored')
    }
  }

  async function connect(): Promise<Connection> {
    const connection = await dial({
      open: { apiBase: options.apiBase, appKey: options.appKey, appSecret: options.appSecret, fetch, dispatcher: options.dispatcher, timeoutMs: connectTimeoutMs },
      dispatcher: options.dispatcher,
      timeoutMs: connectTimeoutMs,
      now,
      onFrame,
      onClose,
    })
    all.add(connection)
    return connection
  }

  function onClose(connection: Connection, code: number): void {
    clearTimeout(connection.silenceTimer)
    all.delete(connection)
    if (connection !== current) return
    current = undefined
    connectedSince = undefined
    if (stopped) return
    // a connection that did not last counts as a failure, so a gateway that drops us at once is backed off
    if (now() - connection.openedAt < backoff.minMs) failures += 1
    log.warn({ connectionId: connection.id, code, failures }, 'dingtalk stream connection closed; reconnecting')
    if (connecting) return
    if (failures === 0) void establish('closed')
    else schedule()
  }

  function schedule(): void {
    clearTimeout(retryTimer)
    const delay = backoffDelay(failures, backoff, options.random)
    log.info({ retryInMs: delay, failures }, 'dingtalk stream reconnect scheduled')
    retryTimer = setTimeout(() => void establish('retry'), delay)
  }

  /** Opens a new connection; the one it replaces is closed only after the new one is up. */
  async function establish(reason: string): Promise<void> {
    if (stopped || connecting) return
    connecting = true
    clearTimeout(retryTimer)
    try {
      const connection = await connect()
      if (stopped) {
        connection.ws.close(1000)
        return
      }
      const previous = current
      current = connection
      connectedSince = connection.openedAt
      armSilence(connection)
      log.info({ connectionId: connection.id, reason, replaces: previous?.id ?? null }, 'dingtalk stream connected')
      if (previous) void retire(previous)
    } catch (error) {
      failures += 1
      const e = error as StreamOpenError
      log.warn({ reason, status: e.status ?? null, dingtalkCode: e.dingtalkCode ?? null, error: e.message, failures }, 'dingtalk stream connection failed')
      schedule()
    } finally {
      connecting = false
    }
  }

  async function retire(connection: Connection): Promise<void> {
    clearTimeout(connection.silenceTimer)
    await Promise.race([Promise.allSettled([...connection.inflight]), sleep(options.closeTimeoutMs ?? 5_000)])
    connection.ws.close(1000)
    log.info({ connectionId: connection.id }, 'dingtalk stream old connection closed')
  }

  function status(): StreamCheck {
    const c = current
    if (!c || stopped || c.disconnected || c.ws.readyState !== WebSocket.OPEN) return 'STREAM_DISCONNECTED'
    return now() - (c.lastFrameAt ?? c.openedAt) < silenceMs ? 'ok' : 'STREAM_DISCONNECTED'
  }

  let closing: Promise<void> | undefined
  return {
    start() {
      void establish('start')
    },
    status,
    details: () => ({ check: status(), connectedSince: connectedSince ?? null, lastFrameAt: current?.lastFrameAt ?? null, connections: all.size, failures }),
    close() {
      closing ??= (async () => {
        stopped = true
        clearTimeout(retryTimer)
        const connections = [...all]
        for (const connection of connections) clearTimeout(connection.silenceTimer)
        const inflight = connections.flatMap((c) => [...c.inflight])
        await Promise.race([Promise.allSettled(inflight), sleep(options.closeTimeoutMs ?? 5_000)])
        for (const connection of connections) connection.ws.close(1000)
        await Promise.race([Promise.allSettled(connections.map((c) => c.closed)), sleep(1_000)])
        log.info({ connections: connections.length }, 'dingtalk stream closed')
      })()
      return closing
    },
  }
}
