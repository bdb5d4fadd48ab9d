// Test helpers (not a test file): a Stream client built on the `ws` package that opens a ticket,
// connects, records every frame and answers pings and events the way a test tells it to.
import WebSocket from 'ws'
import { call, type TestSandbox } from '../test-support.ts'
import { STREAM_OPEN_PATH } from './gateway.ts'

export type ClientFrame = { specVersion: string; type: string; headers: Record<string, string>; data: string }
/** What the client answers an EVENT with: SUCCESS, LATER, or nothing. */
export type AckMode = 'SUCCESS' | 'LATER' | 'none'

export type TestClient = {
  ws: WebSocket
  frames: ClientFrame[]
  events(): ClientFrame[]
  ack: AckMode
  echoPings: boolean
  closed: Promise<number>
  close(): Promise<void>
}

export async function openTicket(sandbox: TestSandbox): Promise<{ endpoint: string; ticket: string }> {
  const { appKey, appSecret } = sandbox.config.dingtalk
  const { status, body } = await call(sandbox.url, STREAM_OPEN_PATH, {
    body: { clientId: appKey, clientSecret: appSecret, ua: 'test', subscriptions: [{ type: 'EVENT', topic: '*' }] },
    headers: { accept: 'application/json' },
  })
  if (status !== 200) throw new Error(`connections/open failed: ${status} ${JSON.stringify(body)}`)
  return body
}

export function reply(ws: WebSocket, frame: ClientFrame, status: string): void {
  ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: frame.headers.messageId }, message: 'OK', data: JSON.stringify({ status }) }))
}

export function connect(endpoint: string, ticket: string, ack: AckMode = 'SUCCESS'): Promise<TestClient> {
  const ws = new WebSocket(`${endpoint}?ticket=${encodeURIComponent(ticket)}`)
  const frames: ClientFrame[] = []
  const client: TestClient = {
    ws,
    frames,
    events: () => frames.filter((f) => f.type === 'EVENT'),
    ack,
    echoPings: true,
    closed: new Promise((done) => ws.on('close', (code) => done(code))),
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return
      ws.close()
      await client.closed
    },
  }
  ws.on('message', (raw) => {
    const frame = JSON.parse(String(raw)) as ClientFrame
    frames.push(frame)
    if (frame.type === 'SYSTEM' && frame.headers.topic === 'ping' && client.echoPings) {
      ws.send(JSON.stringify({ code: 200, headers: frame.headers, message: 'OK', data: frame.data }))
    }
    if (frame.type === 'EVENT' && client.ack !== 'none') reply(ws, frame, client.ack)
  })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client))
    ws.once('error', reject)
  })
}

export async function connectNew(sandbox: TestSandbox, ack: AckMode = 'SUCCESS'): Promise<TestClient> {
  const { endpoint, ticket } = await openTicket(sandbox)
  return connect(endpoint, ticket, ack)
}
