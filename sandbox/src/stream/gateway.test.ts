import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { SandboxConfigInput } from '../config.ts'
import { call, createInstance, eventually, fromElsewhere, startSandbox, tokenFor, type TestSandbox } from '../test-support.ts'
import { STREAM_OPEN_PATH } from './gateway.ts'
import { connect, connectNew, openTicket, reply, type TestClient } from './test-client.ts'

let sandbox: TestSandbox | undefined
const clients: TestClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await sandbox?.close()
  sandbox = undefined
})

async function setUp(stream: SandboxConfigInput['stream'] = {}, options: { now?: () => number; events?: 'http' | 'stream' } = {}) {
  sandbox = await startSandbox({ events: options.events ?? 'stream', stream: { redeliverMs: 300, pingMs: 60_000, ...stream } }, { now: options.now })
  return sandbox
}

async function client(s: TestSandbox, ack: TestClient['ack'] = 'SUCCESS') {
  const c = await connectNew(s, ack)
  clients.push(c)
  return c
}

const summary = async (s: TestSandbox) => (await call(s.url, '/_sandbox/stream/events')).body
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

describe('Stream gateway: connections/open', () => {
  it('hands out an endpoint on its own port and a ticket, from any address (no IP whitelist)', async () => {
    const s = await setUp()
    const { appKey, appSecret } = s.config.dingtalk
    const body = { clientId: appKey, clientSecret: appSecret, ua: 't', subscriptions: [{ type: 'EVENT', topic: '*' }] }
    const opened = await call(s.url, STREAM_OPEN_PATH, { body, headers: { accept: 'application/json' }, from: fromElsewhere })
    expect(opened.status).toBe(200)
    expect(opened.body).toEqual({ endpoint: `${s.url.replace('http:', 'ws:')}/connect`, ticket: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    const xml = await call(s.url, STREAM_OPEN_PATH, { body })
    expect(xml.headers['content-type']).toContain('application/xml')
    expect(String(xml.body)).toContain('<ticket>')
  })

  it('refuses wrong credentials with 400 invalidClientIdOrSecret and missing ones with invalidParameter', async () => {
    const s = await setUp()
    const wrong = await call(s.url, STREAM_OPEN_PATH, {
      body: { clientId: s.config.dingtalk.appKey, clientSecret: 'nope', subscriptions: [{ type: 'EVENT', topic: '*' }] },
      headers: { accept: 'application/json' },
    })
    expect(wrong.status).toBe(400)
    expect(wrong.body).toMatchObject({ code: 'invalidClientIdOrSecret', requestid: expect.any(String), message: expect.any(String) })
    const missing = await call(s.url, STREAM_OPEN_PATH, { body: {}, headers: { accept: 'application/json' } })
    expect(missing.status).toBe(400)
    expect(missing.body.code).toBe('invalidParameter')
  })

  it('refuses an unknown ticket, a used ticket and an expired ticket with 401', async () => {
    let clock = 1_700_000_000_000
    const s = await setUp({ ticketTtlMs: 1_000 }, { now: () => clock })
    const refused = (endpoint: string, ticket: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`${endpoint}?ticket=${ticket}`)
        ws.on('open', () => resolve('opened'))
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)))
        ws.on('error', () => resolve('error'))
      })
    const { endpoint, ticket } = await openTicket(s)
    expect(await refused(endpoint, 'not-a-ticket')).toBe('401')
    const first = await connect(endpoint, ticket)
    clients.push(first)
    expect(await refused(endpoint, ticket)).toBe('401')
    const late = await openTicket(s)
    clock += 1_001
    expect(await refused(endpoint, late.ticket)).toBe('401')
  })
})

describe('Stream gateway: events', () => {
  it('delivers an instance event as an EVENT frame and counts it delivered once acked SUCCESS', async () => {
    const s = await setUp()
    const c = await client(s)
    const id = await createInstance(s)
    const frame = await eventually(() => c.events()[0], 'the EVENT frame')
    const instance = s.state.instances.get(id)!
    expect(frame).toMatchObject({
      specVersion: '1.0',
      type: 'EVENT',
      headers: {
        contentType: 'application/json',
        topic: '*',
        eventType: 'bpms_instance_change',
        eventId: instance.events[0].eventId,
        eventCorpId: s.config.dingtalk.corpId,
        messageId: expect.any(String),
        connectionId: expect.any(String),
        eventBornTime: String(instance.events[0].at),
      },
    })
    expect(JSON.parse(frame.data)).toEqual(instance.events[0].plaintext)
    const log = await eventually(async () => ((await summary(s)).data[0]?.status === 'acked' ? await summary(s) : undefined), 'acked')
    expect(log.data[0]).toMatchObject({ eventId: instance.events[0].eventId, deliveries: 1, acks: 1, redeliveries: 0 })
    await sleep(400) // past the redelivery window
    expect(c.events()).toHaveLength(1)
    expect(log.summary).toMatchObject({ events: 1, acked: 1, failed: 0, duplicateAcks: 0 })
    const pushes = await call(s.url, `/_sandbox/instances/${id}`)
    expect(pushes.body.data.push).toMatchObject({ status: 'delivered', attempts: 1 })
  })

  it('sends an unacknowledged event again, same eventId, then lists it as a failed push after the attempts', async () => {
    const s = await setUp({ redeliverMs: 150, attempts: 3 })
    const c = await client(s, 'none')
    const id = await createInstance(s)
    await eventually(() => c.events().length === 3, 'three sends', 3_000)
    const [a, b, third] = c.events()
    expect(new Set([a, b, third].map((f) => f.headers.eventId)).size).toBe(1)
    expect(new Set([a, b, third].map((f) => f.headers.messageId)).size).toBe(3)
    const log = await eventually(async () => ((await summary(s)).summary.failed === 1 ? await summary(s) : undefined), 'failed')
    expect(log.data[0]).toMatchObject({ status: 'failed', deliveries: 3, acks: 0, redeliveries: 2 })
    await sleep(300)
    expect(c.events()).toHaveLength(3)
    const token = await tokenFor(s)
    const failed = await call(s.url, `/call_back/get_call_back_failed_result?access_token=${token}`)
    expect(failed.body.failed_list).toEqual([expect.objectContaining({ bpms_instance_change: expect.objectContaining({ bpmsCallBackData: expect.objectContaining({ processInstanceId: id }) }) })])
  })

  it('sends an event acked LATER again, and stops once it is acked SUCCESS', async () => {
    const s = await setUp({ redeliverMs: 150 })
    const c = await client(s, 'LATER')
    await createInstance(s)
    await eventually(() => c.events().length === 2, 'a second send')
    c.ack = 'SUCCESS'
    await eventually(() => c.events().length === 3, 'a third send')
    const log = await eventually(async () => ((await summary(s)).summary.acked === 1 ? await summary(s) : undefined), 'acked')
    expect(log.data[0]).toMatchObject({ status: 'acked', later: 2, acks: 1, deliveries: 3 })
    await sleep(300)
    expect(c.events()).toHaveLength(3)
  })

  it('counts a late SUCCESS for a send already repeated, so duplicates show in the summary', async () => {
    const s = await setUp({ redeliverMs: 100 })
    const c = await client(s, 'none')
    await createInstance(s)
    await eventually(() => c.events().length === 2, 'the repeat')
    for (const frame of c.events()) reply(c.ws, frame, 'SUCCESS')
    const log = await eventually(async () => ((await summary(s)).summary.duplicateAcks === 1 ? await summary(s) : undefined), 'duplicate ack')
    expect(log.data[0]).toMatchObject({ status: 'acked', acks: 2 })
  })

  it('in takeover mode gives every event to the newest connection and none to older ones', async () => {
    const s = await setUp({ mode: 'takeover' })
    const older = await client(s)
    const newer = await client(s)
    for (let i = 0; i < 4; i += 1) await createInstance(s)
    await eventually(() => newer.events().length === 4, 'four events on the newer connection')
    await sleep(100)
    expect(older.events()).toHaveLength(0)
  })

  it('in spread mode shares events among the live connections', async () => {
    const s = await setUp({ mode: 'spread' })
    const first = await client(s)
    const second = await client(s)
    for (let i = 0; i < 4; i += 1) await createInstance(s)
    await eventually(() => first.events().length + second.events().length === 4, 'four events')
    expect(first.events()).toHaveLength(2)
    expect(second.events()).toHaveLength(2)
  })

  it('keeps events for a while when no connection is up, and sends them when one connects', async () => {
    const s = await setUp({ redeliverMs: 5_000 })
    await createInstance(s)
    await sleep(50)
    const c = await client(s)
    await eventually(() => c.events().length === 1, 'the waiting event')
    await eventually(async () => (await summary(s)).summary.acked === 1, 'acked')
  })

  it('sends the last event once more on Push last event again, same eventId, outside the summary', async () => {
    const s = await setUp()
    const c = await client(s)
    const id = await createInstance(s)
    await eventually(async () => (await summary(s)).summary.acked === 1, 'acked')
    const pushed = await call(s.url, `/_sandbox/instances/${id}/push`, { method: 'POST' })
    expect(pushed.status).toBe(200)
    expect(pushed.body.delivery).toMatchObject({ channel: 'stream', manual: true, status: 'delivered' })
    expect(c.events()).toHaveLength(2)
    expect(c.events()[1].headers.eventId).toBe(c.events()[0].headers.eventId)
    expect((await summary(s)).summary).toMatchObject({ events: 1, acked: 1, duplicateAcks: 0 })
  })

  it('with the pushBlocked fault sends nothing and lists the event as failed after the attempts', async () => {
    const s = await setUp({ redeliverMs: 50, attempts: 2 })
    const c = await client(s)
    await call(s.url, '/_sandbox/faults', { body: { pushBlocked: true } })
    await createInstance(s)
    const log = await eventually(async () => ((await summary(s)).summary.failed === 1 ? await summary(s) : undefined), 'failed')
    expect(log.data[0].attempts.map((a: any) => a.outcome)).toEqual(['blocked', 'blocked'])
    expect(c.events()).toHaveLength(0)
    expect(s.state.failedPushes).toHaveLength(1)
  })

  it('uses HTTP push, not the Stream, when SANDBOX_EVENTS=http', async () => {
    const s = await setUp({}, { events: 'http' })
    const c = await client(s)
    await createInstance(s)
    await eventually(() => s.state.deliveries.length === 1, 'a delivery record')
    await sleep(100)
    expect(s.state.deliveries[0].channel).toBeUndefined()
    expect(c.events()).toHaveLength(0)
  })
})

describe('Stream gateway: connection health', () => {
  it('pings every SANDBOX_STREAM_PING_MS and counts the echoes', async () => {
    const s = await setUp({ pingMs: 50 })
    const c = await client(s)
    const ping = await eventually(() => c.frames.find((f) => f.type === 'SYSTEM' && f.headers.topic === 'ping'), 'a ping')
    expect(ping.headers).toMatchObject({ contentType: 'application/json', messageId: expect.any(String), time: expect.stringMatching(/^\d+$/) })
    expect(JSON.parse(ping.data)).toHaveProperty('opaque')
    await eventually(async () => (await call(s.url, '/_sandbox/stream/connections')).body.data[0].pongs >= 2, 'two pongs')
  })

  it('sends SYSTEM disconnect, delivers nothing more there, closes it ~1 s later, and redelivers its unacked event elsewhere', async () => {
    const s = await setUp({ redeliverMs: 300, mode: 'takeover' })
    const old = await client(s, 'none')
    await createInstance(s)
    await eventually(() => old.events().length === 1, 'the event on the old connection')
    const list = (await call(s.url, '/_sandbox/stream/connections')).body.data
    const answer = await call(s.url, '/_sandbox/stream/disconnect', { body: { id: list[0].id } })
    expect(answer.status).toBe(200)
    expect(answer.body.data[0]).toMatchObject({ id: list[0].id, state: 'disconnecting' })
    await eventually(() => old.frames.find((f) => f.type === 'SYSTEM' && f.headers.topic === 'disconnect'), 'the disconnect frame')
    const replacement = await client(s)
    await createInstance(s)
    await eventually(() => replacement.events().length === 2, 'the new event and the redelivered one', 3_000)
    const started = Date.now()
    await old.closed
    expect(Date.now() - started).toBeLessThan(1_500)
    expect(old.events()).toHaveLength(1)
    await eventually(async () => (await summary(s)).summary.acked === 2, 'both acked')
    expect((await summary(s)).summary).toMatchObject({ failed: 0, duplicateAcks: 0 })
    expect((await call(s.url, '/_sandbox/stream/disconnect', { body: { id: 'nope' } })).status).toBe(404)
  })

  it('turns a connection into a zombie: no pings and no frames, TCP still open', async () => {
    const s = await setUp({ pingMs: 40 })
    const c = await client(s)
    await eventually(() => c.frames.length > 0, 'a first ping')
    const silenced = await call(s.url, '/_sandbox/stream/silence', { method: 'POST' })
    expect(silenced.body.data[0]).toMatchObject({ silent: true })
    const count = c.frames.length
    await createInstance(s)
    await sleep(200)
    expect(c.frames).toHaveLength(count)
    expect(c.ws.readyState).toBe(WebSocket.OPEN)
  })
})
