// The sandbox's DingTalk Stream gateway (dingtalk.md §6): `POST /v1.0/gateway/connections/open`
// hands out single-use, short-lived tickets; the WebSocket endpoint `/connect?ticket=` on the
// sandbox's own port carries SYSTEM pings and EVENT frames; SYSTEM disconnect and zombies on demand.
import { createHash, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import type { SandboxConfig } from '../config.ts'
import { clientIp } from '../http.ts'
import type { SandboxState } from '../state.ts'
import { createStreamDelivery, type StreamTarget } from './delivery.ts'
import { disconnectFrame, parseReply, pingFrame, type Frame } from './frames.ts'
import { handleOpen, STREAM_CONNECT_PATH, type Ticket } from './open.ts'

export { STREAM_CONNECT_PATH, STREAM_OPEN_PATH } from './open.ts'
/** After a SYSTEM disconnect the socket is closed this much later (DingTalk keeps TCP up a while). */
export const DISCONNECT_CLOSE_MS = 1_000

export type StreamConnection = StreamTarget & {
  seq: number
  ws: WebSocket
  openedAt: number
  closedAt?: number
  remoteAddress: string
  state: 'open' | 'disconnecting' | 'closed'
  silent: boolean
  events: boolean
  pingsSent: number
  pongs: number
  pings: Set<string>
  pingTimer?: NodeJS.Timeout
}

export type StreamGatewayOptions = { config: SandboxConfig; state: SandboxState; now: () => number; logger: Logger }

/** A stable UUID-shaped unified app id for the configured app key. */
function appIdOf(appKey: string): string {
  const hex = createHash('sha256').update(appKey).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ code: status === 401 ? 'invalidTicket' : 'notFound', message })
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
}

export function createStreamGateway({ config, state, now, logger }: StreamGatewayOptions) {
  const appId = appIdOf(config.dingtalk.appKey)
  const tickets = new Map<string, Ticket>()
  const connections: StreamConnection[] = []
  const closeTimers = new Set<NodeJS.Timeout>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 })
  const delivery = createStreamDelivery({ config, state, now, logger, appId })
  let seq = 0
  let cursor = 0

  function send(connection: StreamConnection, frame: Frame): void {
    // a zombie (silenced) connection swallows frames: the gateway believes it sent them
    if (connection.silent || connection.state === 'closed') return
    connection.ws.send(JSON.stringify(frame))
  }

  function live(): StreamConnection[] {
    return connections.filter((c) => c.state === 'open' && c.events)
  }

  delivery.attach({
    pick() {
      const list = live()
      if (list.length === 0) return undefined
      if (config.stream.mode === 'takeover') return list.reduce((a, b) => (b.seq > a.seq ? b : a))
      cursor = (cursor + 1) % list.length
      return list[cursor]
    },
    send: (target, frame) => send(target as StreamConnection, frame),
  })

  function ping(connection: StreamConnection): void {
    if (connection.state !== 'open' || connection.silent) return
    const frame = pingFrame(now())
    connection.pings.add(frame.headers.messageId)
    connection.pingsSent += 1
    send(connection, frame)
  }

  function onMessage(connection: StreamConnection, raw: Buffer | string): void {
    if (connection.silent) return
    const reply = parseReply(String(raw))
    if (!reply) {
      logger.warn({ connectionId: connection.id }, 'stream frame without headers.messageId ignored')
      return
    }
    if (connection.pings.delete(reply.messageId)) {
      connection.pongs += 1
      return
    }
    if (!delivery.onReply(connection, reply)) logger.warn({ connectionId: connection.id, messageId: reply.messageId }, 'stream reply for an unknown message')
  }

  function register(ws: WebSocket, req: IncomingMessage, ticket: Ticket): void {
    seq += 1
    const connection: StreamConnection = {
      id: randomUUID(),
      seq,
      ws,
      openedAt: now(),
      remoteAddress: clientIp(req),
      state: 'open',
      silent: false,
      events: ticket.subscriptions.some((s) => s.type === 'EVENT' && (s.topic === '*' || s.topic === 'bpms_instance_change')),
      delivered: 0,
      acked: 0,
      pingsSent: 0,
      pongs: 0,
      pings: new Set(),
    }
    connections.push(connection)
    connection.pingTimer = setInterval(() => ping(connection), config.stream.pingMs)
    ws.on('message', (raw: Buffer) => onMessage(connection, raw))
    ws.on('error', (error) => logger.warn({ connectionId: connection.id, err: error.message }, 'stream socket error'))
    ws.on('close', () => {
      connection.state = 'closed'
      connection.closedAt = now()
      clearInterval(connection.pingTimer)
      logger.info({ connectionId: connection.id }, 'stream connection closed')
    })
    logger.info({ connectionId: connection.id, remoteAddress: connection.remoteAddress }, 'stream connection opened')
    delivery.onConnection()
  }

  function select(id: unknown): StreamConnection[] {
    const open = connections.filter((c) => c.state !== 'closed')
    if (id === undefined || id === null || id === '') return open
    return open.filter((c) => c.id === id)
  }

  return {
    delivery,
    connections: () => connections,

    handleOpen: (req: IncomingMessage, res: ServerResponse) => handleOpen({ config, state, now, tickets }, req, res),

    /** The http server's `upgrade` event; false when the path is not the Stream endpoint. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid')
      if (url.pathname !== STREAM_CONNECT_PATH) return false
      const key = url.searchParams.get('ticket') ?? ''
      const ticket = tickets.get(key)
      tickets.delete(key)
      if (!ticket || ticket.expiresAt <= now()) {
        logger.warn({ known: Boolean(ticket) }, 'stream connect refused: unknown, used or expired ticket')
        refuseUpgrade(socket, 401, 'Unauthorized', 'ticket is invalid, used or expired')
        return true
      }
      wss.handleUpgrade(req, socket, head, (ws) => register(ws, req, ticket))
      return true
    },

    /** SYSTEM disconnect, nothing more delivered, then the socket closes ~1 s later. */
    disconnect(id?: unknown): StreamConnection[] {
      const chosen = select(id).filter((c) => c.state === 'open')
      for (const connection of chosen) {
        send(connection, disconnectFrame(now()))
        connection.state = 'disconnecting'
        const timer = setTimeout(() => {
          closeTimers.delete(timer)
          connection.ws.close(1000, 'disconnect')
        }, DISCONNECT_CLOSE_MS)
        closeTimers.add(timer)
      }
      return chosen
    },

    /** Makes connections zombies: no frame is sent on them any more, TCP stays up. */
    silence(id?: unknown): StreamConnection[] {
      const chosen = select(id)
      for (const connection of chosen) connection.silent = true
      return chosen
    },

    reset(): void {
      delivery.reset()
      tickets.clear()
    },

    async close(): Promise<void> {
      delivery.reset()
      for (const timer of closeTimers) clearTimeout(timer)
      for (const connection of connections) {
        clearInterval(connection.pingTimer)
        connection.ws.terminate()
      }
      await new Promise<void>((done) => wss.close(() => done()))
    },
  }
}

export type StreamGateway = ReturnType<typeof createStreamGateway>
