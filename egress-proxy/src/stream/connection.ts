// One Stream connection (dingtalk.md §6): connections/open for a ticket, then the WebSocket to
// `endpoint?ticket=…` through the egress dispatcher, resolved once the handshake is done.
import { randomUUID } from 'node:crypto'
import { WebSocket, type Dispatcher } from 'undici'
import { connectUrl, openConnection, StreamOpenError, type OpenOptions } from './open.ts'

export type Connection = {
  id: string
  ws: WebSocket
  openedAt: number
  lastFrameAt?: number
  silenceTimer?: NodeJS.Timeout
  inflight: Set<Promise<void>>
  disconnected: boolean
  closed: Promise<void>
}

export type DialOptions = {
  open: OpenOptions
  dispatcher?: Dispatcher
  /** The WebSocket handshake must finish within this. */
  timeoutMs: number
  now: () => number
  onFrame(connection: Connection, text: string): void
  onClose(connection: Connection, code: number): void
}

export async function dial(options: DialOptions): Promise<Connection> {
  const opened = await openConnection(options.open)
  const ws = new WebSocket(connectUrl(opened), { dispatcher: options.dispatcher })
  const connection: Connection = { id: randomUUID(), ws, openedAt: 0, inflight: new Set(), disconnected: false, closed: Promise.resolve() }
  connection.closed = new Promise((done) => ws.addEventListener('close', () => done()))
  ws.addEventListener('message', (event) => options.onFrame(connection, typeof event.data === 'string' ? event.data : Buffer.from(event.data as ArrayBuffer).toString('utf8')))
  ws.addEventListener('close', (event) => options.onClose(connection, event.code))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close()
      reject(new StreamOpenError('the Stream WebSocket handshake did not finish in time', null))
    }, options.timeoutMs)
    ws.addEventListener('open', () => {
      clearTimeout(timer)
      connection.openedAt = options.now()
      resolve()
    })
    ws.addEventListener('error', () => {
      clearTimeout(timer)
      reject(new StreamOpenError('the Stream WebSocket was refused', null))
    })
  })
  return connection
}
