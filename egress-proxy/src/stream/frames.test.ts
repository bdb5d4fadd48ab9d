import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { fetch as undiciFetch } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { importSigningKey } from '../../../proof/src/index.ts'
import { eventually } from '../../../sandbox/src/test-support.ts'
import { createLogger } from '../logger.ts'
import { makeKeys, startFake, type FakeServer } from '../test-kit.ts'
import { createStreamClient, type StreamClient } from './client.ts'

// A hand-driven gateway: the test decides every frame, to reach cases the sandbox never sends.
type Gateway = { url: string; sockets: WebSocket[]; replies: any[]; close(): Promise<void> }

async function startGateway(): Promise<Gateway> {
  const replies: any[] = []
  const sockets: WebSocket[] = []
  const server = http.createServer((req, res) => {
    const { port } = server.address() as AddressInfo
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket: 'fixed-ticket' }))
  })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws) => {
    sockets.push(ws)
    ws.on('message', (raw) => replies.push(JSON.parse(String(raw))))
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    replies,
    async close() {
      for (const ws of sockets) ws.terminate()
      await new Promise<void>((done) => wss.close(() => done()))
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
    },
  }
}

function event(messageId: string, eventType: string, data: string, eventId = `ev-${messageId}`) {
  return JSON.stringify({ specVersion: '1.0', type: 'EVENT', headers: { messageId, eventType, eventId, contentType: 'application/json', topic: '*', time: '1' }, data })
}

let gateway: Gateway
let worker: FakeServer
let client: StreamClient
afterEach(async () => {
  await client?.close()
  await gateway?.close()
  await worker?.close()
})

async function setUp() {
  gateway = await startGateway()
  worker = await startFake()
  worker.on('/internal/events', () => ({ body: { recorded: true } }))
  const keys = await makeKeys()
  client = createStreamClient({
    apiBase: new URL(gateway.url),
    appKey: 'k',
    appSecret: 's',
    worker: { workerUrl: new URL(worker.url), key: await importSigningKey(keys.proxyPrivate), fetch: undiciFetch, now: Date.now },
    logger: createLogger({ logLevel: 'silent', logPretty: false }, { destination: new Writable({ write: (_c, _e, done) => done() }) }),
  })
  client.start()
  await eventually(() => gateway.sockets[0], 'the connection')
  return gateway.sockets[0]
}

describe('Stream client: frames', () => {
  it('acks other event types at once without forwarding them to the worker', async () => {
    const ws = await setUp()
    ws.send(event('m1', 'bpms_task_change', JSON.stringify({ taskId: 1 })))
    await eventually(() => gateway.replies.find((r) => r.headers?.messageId === 'm1'), 'the ack')
    expect(gateway.replies[0]).toEqual({ code: 200, headers: { contentType: 'application/json', messageId: 'm1' }, message: 'OK', data: '{"status":"SUCCESS"}' })
    expect(worker.requests).toHaveLength(0)
  })

  it('adds the frame eventId to an approval event whose data lacks one, and keeps data bytes that carry one', async () => {
    const ws = await setUp()
    ws.send(event('m2', 'bpms_instance_change', JSON.stringify({ EventType: 'bpms_instance_change', processInstanceId: 'p1', type: 'finish' }), 'frame-event-id'))
    const own = '{"EventType":"bpms_instance_change",  "processInstanceId":"p2","eventId":"own-id"}'
    ws.send(event('m3', 'bpms_instance_change', own))
    await eventually(() => worker.requests.length === 2, 'two forwards')
    const bodies = worker.requests.map((r) => r.body)
    expect(JSON.parse(bodies.find((b) => b.includes('p1'))!)).toEqual({ EventType: 'bpms_instance_change', processInstanceId: 'p1', type: 'finish', eventId: 'frame-event-id' })
    expect(bodies).toContain(own)
    await eventually(() => gateway.replies.filter((r) => r.data === '{"status":"SUCCESS"}').length === 2, 'two acks')
  })

  it('leaves an approval event whose data is not a JSON object unacknowledged (DingTalk redelivers, then lists it as failed)', async () => {
    const ws = await setUp()
    ws.send(event('m4', 'bpms_instance_change', 'not json'))
    ws.send(JSON.stringify({ specVersion: '1.0', type: 'SYSTEM', headers: { messageId: 'p1', topic: 'ping' }, data: '{"opaque":"x"}' }))
    await eventually(() => gateway.replies.find((r) => r.headers?.messageId === 'p1'), 'the ping echo')
    expect(gateway.replies.find((r) => r.headers?.messageId === 'p1')).toEqual({ code: 200, headers: { messageId: 'p1', topic: 'ping' }, message: 'OK', data: '{"opaque":"x"}' })
    expect(gateway.replies.find((r) => r.headers?.messageId === 'm4')).toBeUndefined()
    expect(worker.requests).toHaveLength(0)
  })
})
