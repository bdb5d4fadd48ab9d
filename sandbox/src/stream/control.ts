// The Stream part of the control API (docs/sandbox.md): list connections, send a SYSTEM
// disconnect, make a connection a zombie, and the per-event log (sends, acks, redeliveries).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { SandboxError } from '../errors.ts'
import { isRecord, parseJson, readBody, sendJson } from '../http.ts'
import type { StreamEventRecord } from './delivery.ts'
import type { StreamConnection, StreamGateway } from './gateway.ts'

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())

export function connectionView(c: StreamConnection) {
  return {
    id: c.id,
    openedAt: iso(c.openedAt),
    closedAt: iso(c.closedAt),
    state: c.state,
    silent: c.silent,
    remoteAddress: c.remoteAddress,
    delivered: c.delivered,
    acked: c.acked,
    pingsSent: c.pingsSent,
    pongs: c.pongs,
  }
}

export function eventView(r: StreamEventRecord) {
  const sends = r.attempts.filter((a) => a.messageId !== undefined).length
  return {
    eventId: r.eventId,
    instanceId: r.instanceId,
    type: r.type,
    manual: r.manual,
    status: r.status,
    createdAt: iso(r.createdAt),
    deliveries: sends,
    acks: r.acks,
    later: r.later,
    redeliveries: Math.max(0, sends - 1),
    attempts: r.attempts.map((a) => ({ ...a, at: iso(a.at), ackAt: iso(a.ackAt) })),
  }
}

/** Counts a test asserts on: every event acked exactly once means 0 lost and 0 duplicated. */
export function eventSummary(records: readonly StreamEventRecord[]) {
  const real = records.filter((r) => !r.manual)
  return {
    events: real.length,
    acked: real.filter((r) => r.status === 'acked').length,
    delivering: real.filter((r) => r.status === 'delivering').length,
    failed: real.filter((r) => r.status === 'failed').length,
    duplicateAcks: real.reduce((sum, r) => sum + Math.max(0, r.acks - 1), 0),
    redeliveries: real.reduce((sum, r) => sum + Math.max(0, r.attempts.filter((a) => a.messageId).length - 1), 0),
  }
}

async function idOf(req: IncomingMessage): Promise<string | undefined> {
  const raw = (await readBody(req, 16 * 1024)).toString()
  if (raw.trim() === '') return undefined
  const parsed = parseJson(raw)
  if (!parsed.ok || !isRecord(parsed.value)) throw new SandboxError('SANDBOX_BAD_REQUEST', 'the body must be a JSON object')
  const id = parsed.value.id
  if (id === undefined || id === null || id === '') return undefined
  if (typeof id !== 'string') throw new SandboxError('SANDBOX_BAD_REQUEST', 'id must be a string')
  return id
}

/** Handles `/_sandbox/stream/…`; false when the path is not one of them. */
export function createStreamControl(gateway: StreamGateway) {
  return async function handleStreamControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const method = req.method ?? 'GET'
    const newestFirst = () => [...gateway.connections()].reverse().map(connectionView)
    if (method === 'GET' && path === '/stream/connections') {
      sendJson(res, 200, { data: newestFirst() })
      return true
    }
    if (method === 'GET' && path === '/stream/events') {
      const records = gateway.delivery.records()
      sendJson(res, 200, { data: records.map(eventView), summary: eventSummary(records) })
      return true
    }
    if (method === 'POST' && (path === '/stream/disconnect' || path === '/stream/silence')) {
      const id = await idOf(req)
      const chosen = path === '/stream/disconnect' ? gateway.disconnect(id) : gateway.silence(id)
      if (id !== undefined && chosen.length === 0) throw new SandboxError('SANDBOX_NOT_FOUND', `no open stream connection ${id}`)
      sendJson(res, 200, { data: chosen.map(connectionView) })
      return true
    }
    return false
  }
}
