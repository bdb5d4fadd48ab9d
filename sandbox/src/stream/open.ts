// `POST /v1.0/gateway/connections/open` (dingtalk.md §6): checks the app's credentials like the
// token endpoint (but no IP whitelist), and hands out a single-use, short-lived ticket for the
// WebSocket endpoint on the sandbox's own port.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SandboxConfig } from '../config.ts'
import { dingtalkErrors as e } from '../dingtalk-errors.ts'
import { isRecord, parseJson, readBody, sendJson } from '../http.ts'
import type { SandboxState } from '../state.ts'

export const STREAM_OPEN_PATH = '/v1.0/gateway/connections/open'
export const STREAM_CONNECT_PATH = '/connect'
const BODY_LIMIT = 64 * 1024

export type Subscription = { type: string; topic: string }
export type Ticket = { expiresAt: number; subscriptions: Subscription[] }
export type OpenContext = { config: SandboxConfig; state: SandboxState; now: () => number; tickets: Map<string, Ticket> }

function subscriptionsOf(value: unknown): Subscription[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined
  const list: Subscription[] = []
  for (const item of value) {
    if (!isRecord(item) || typeof item.type !== 'string' || typeof item.topic !== 'string') return undefined
    list.push({ type: item.type, topic: item.topic })
  }
  return list
}

/** Not IP-whitelisted; the `dingtalkDown` fault applies as to every DingTalk path. */
export async function handleOpen({ config, state, now, tickets }: OpenContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const down = state.faults.dingtalkDown
  if (down === 'reset') return void req.socket.destroy()
  if (down === 'hang') return
  if (down === '503') return sendJson(res, e.unavailable().status, e.unavailable().body)
  if (req.method !== 'POST') return sendJson(res, e.notFound().status, e.notFound().body)
  const parsed = parseJson(await readBody(req, BODY_LIMIT))
  const input = parsed.ok && isRecord(parsed.value) ? parsed.value : {}
  const { clientId, clientSecret } = input
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
    const reply = e.invalidParameter('clientId和clientSecret不能为空')
    return sendJson(res, reply.status, reply.body)
  }
  if (clientId !== config.dingtalk.appKey || clientSecret !== config.dingtalk.appSecret) {
    const reply = e.invalidClient()
    return sendJson(res, reply.status, reply.body)
  }
  const subscriptions = subscriptionsOf(input.subscriptions)
  if (!subscriptions) {
    const reply = e.invalidParameter('subscriptions不能为空')
    return sendJson(res, reply.status, reply.body)
  }
  const ticket = randomUUID()
  tickets.set(ticket, { expiresAt: now() + config.stream.ticketTtlMs, subscriptions })
  const endpoint = `ws://${req.headers.host ?? `${config.host}:${config.port}`}${STREAM_CONNECT_PATH}`
  // without Accept: application/json DingTalk answers XML (dingtalk.md §6)
  if (!String(req.headers.accept ?? '').includes('application/json')) {
    const xml = `<OpenConnectionResponse><endpoint>${endpoint}</endpoint><ticket>${ticket}</ticket></OpenConnectionResponse>`
    res.writeHead(200, { 'content-type': 'application/xml;charset=utf-8', 'content-length': Buffer.byteLength(xml) }).end(xml)
    return
  }
  sendJson(res, 200, { endpoint, ticket })
}
