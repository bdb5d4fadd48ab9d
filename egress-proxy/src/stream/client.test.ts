import { Writable } from 'node:stream'
import { fetch as undiciFetch } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { importSigningKey } from '../../../proof/src/index.ts'
import type { SandboxConfigInput } from '../../../sandbox/src/config.ts'
import { call, createInstance, eventually, startSandbox, type TestSandbox } from '../../../sandbox/src/test-support.ts'
import { createEgress } from '../egress.ts'
import { createLogger } from '../logger.ts'
import { makeKeys, startFake, type FakeHandler, type FakeServer } from '../test-kit.ts'
import { backoffDelay } from './backoff.ts'
import { createStreamClient, type StreamClientOptions } from './client.ts'

// Collected over the whole file: the last test checks no ticket or secret was ever logged.
const logLines: string[] = []
const tickets: string[] = []
const appSecrets = new Set<string>()
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

async function setUp(stream: SandboxConfigInput['stream'] = {}, handler: FakeHandler = () => ({ body: { recorded: true } })) {
  const sandbox = await startSandbox({ events: 'stream', dingtalk: { qpsLimit: 0 }, stream: { redeliverMs: 300, pingMs: 100, ...stream } })
  const worker = await startFake()
  worker.on('/internal/events', handler)
  cleanups.push(async () => {
    await sandbox.close()
    await worker.close()
  })
  appSecrets.add(sandbox.config.dingtalk.appSecret)
  return { sandbox, worker }
}

const recordingFetch: typeof undiciFetch = async (input, init) => {
  const response = await undiciFetch(input, init)
  const text = await response.clone().text()
  try {
    const ticket = JSON.parse(text).ticket
    if (ticket) tickets.push(ticket)
  } catch {
    // not JSON: nothing to record
  }
  return response
}

const opens: number[] = []
const countingFetch: typeof undiciFetch = async (input, init) => {
  opens.push(Date.now())
  return recordingFetch(input, init)
}

async function startClient(sandbox: TestSandbox, worker: FakeServer, overrides: Partial<StreamClientOptions> = {}) {
  const keys = await makeKeys()
  const egress = createEgress('127.0.0.2')
  const logger = createLogger({ logLevel: 'debug', logPretty: false }, { destination: new Writable({ write: (c, _e, done) => (logLines.push(String(c)), done()) }) })
  const client = createStreamClient({
    apiBase: new URL(sandbox.url),
    appKey: sandbox.config.dingtalk.appKey,
    appSecret: sandbox.config.dingtalk.appSecret,
    worker: { workerUrl: new URL(worker.url), key: await importSigningKey(keys.proxyPrivate), fetch: undiciFetch, dispatcher: egress.worker, now: Date.now, timeoutMs: 2_000 },
    logger,
    fetch: recordingFetch,
    dispatcher: egress.dingtalk,
    silenceMs: 5_000,
    backoff: { minMs: 50, maxMs: 400 },
    closeTimeoutMs: 2_000,
    ...overrides,
  })
  client.start()
  cleanups.push(async () => {
    await client.close()
    await egress.close()
  })
  await eventually(() => client.status() === 'ok', 'the stream connection')
  return client
}

const events = async (s: TestSandbox) => (await call(s.url, '/_sandbox/stream/events')).body
const connections = async (s: TestSandbox) => (await call(s.url, '/_sandbox/stream/connections')).body.data as any[]
const eventIds = (worker: FakeServer) => worker.requests.filter((r) => r.url === '/internal/events').map((r) => JSON.parse(r.body).eventId as string)

describe('Stream client: events', () => {
  it('forwards an approval event to the worker from the egress address and acks SUCCESS only after the worker 2xx', async () => {
    const { sandbox, worker } = await setUp({ redeliverMs: 5_000 }, () => ({ delayMs: 400, body: { recorded: true } }))
    await startClient(sandbox, worker)
    expect((await connections(sandbox))[0].remoteAddress).toBe('127.0.0.2')
    const id = await createInstance(sandbox)
    await eventually(() => worker.requests.length === 1, 'the forward to the worker')
    const forwarded = worker.requests[0]
    const body = JSON.parse(forwarded.body)
    const event = sandbox.state.instances.get(id)!.events[0]
    expect(body).toEqual(event.plaintext)
    expect(forwarded.headers['licensedesk-proof'] ?? forwarded.headers.proof).toBeTruthy()
    expect((await events(sandbox)).data[0]).toMatchObject({ status: 'delivering', acks: 0 })
    await eventually(async () => (await events(sandbox)).summary.acked === 1, 'the ack')
    expect((await events(sandbox)).data[0]).toMatchObject({ deliveries: 1, acks: 1 })
  })

  it('does not ack while the worker answers 500, so the event is redelivered, and acks it once the worker recovers', async () => {
    const { sandbox, worker } = await setUp({ redeliverMs: 250 }, (_r, n) => (n === 1 ? { status: 500, body: {} } : { body: { recorded: true } }))
    await startClient(sandbox, worker)
    await createInstance(sandbox)
    await eventually(async () => (await events(sandbox)).summary.acked === 1, 'the ack after the retry', 3_000)
    const log = await events(sandbox)
    expect(log.data[0]).toMatchObject({ deliveries: 2, acks: 1, redeliveries: 1 })
    expect(log.summary).toMatchObject({ failed: 0, duplicateAcks: 0 })
    expect(new Set(eventIds(worker)).size).toBe(1)
    expect(eventIds(worker)).toHaveLength(2)
  })

  it('forwards an event sent again during a slow forward only once, and acks both sends after the worker 2xx', async () => {
    const { sandbox, worker } = await setUp({ redeliverMs: 150 }, () => ({ delayMs: 500, body: { recorded: true } }))
    await startClient(sandbox, worker)
    await createInstance(sandbox)
    await eventually(async () => (await events(sandbox)).data[0]?.deliveries >= 2, 'a second send', 2_000)
    await eventually(async () => (await events(sandbox)).summary.acked === 1, 'the ack')
    await eventually(async () => (await events(sandbox)).data[0].acks >= 2, 'both sends acked')
    expect(eventIds(worker)).toHaveLength(1)
  })

  it('echoes SYSTEM pings', async () => {
    const { sandbox, worker } = await setUp({ pingMs: 40 })
    await startClient(sandbox, worker)
    await eventually(async () => (await connections(sandbox))[0].pongs >= 2, 'two echoed pings')
  })
})

describe('Stream client: connection health', () => {
  it('on SYSTEM disconnect opens a new connection before the old one closes, and loses no event', async () => {
    const { sandbox, worker } = await setUp({}, () => ({ delayMs: 150, body: { recorded: true } }))
    await startClient(sandbox, worker)
    await createInstance(sandbox)
    await eventually(() => worker.requests.length === 1, 'the first forward')
    expect((await call(sandbox.url, '/_sandbox/stream/disconnect', { method: 'POST' })).status).toBe(200)
    await eventually(async () => (await connections(sandbox)).length === 2 && (await connections(sandbox))[1].state === 'closed', 'a new connection and the old one closed', 3_000)
    const [fresh, old] = await connections(sandbox)
    expect(Date.parse(fresh.openedAt)).toBeLessThanOrEqual(Date.parse(old.closedAt))
    await createInstance(sandbox)
    await eventually(async () => (await events(sandbox)).summary.acked === 2, 'both events acked')
    expect((await events(sandbox)).summary).toMatchObject({ events: 2, failed: 0, duplicateAcks: 0 })
    expect((await events(sandbox)).data.every((e: any) => e.deliveries === 1)).toBe(true)
  })

  it('treats a silent (zombie) connection as dead: opens a new one, closes the zombie, and the swallowed event is redelivered', async () => {
    const { sandbox, worker } = await setUp({ mode: 'takeover', redeliverMs: 600, pingMs: 50 })
    const client = await startClient(sandbox, worker, { silenceMs: 300 })
    expect((await call(sandbox.url, '/_sandbox/stream/silence', { method: 'POST' })).status).toBe(200)
    await createInstance(sandbox)
    await eventually(() => client.status() === 'STREAM_DISCONNECTED' || (async () => (await connections(sandbox)).length === 2)(), 'silence noticed')
    await eventually(async () => (await connections(sandbox)).length === 2, 'a second connection', 2_000)
    await eventually(async () => (await events(sandbox)).summary.acked === 1, 'the redelivered event acked', 3_000)
    await eventually(async () => (await connections(sandbox))[1].state === 'closed', 'the zombie closed by the client')
    expect((await events(sandbox)).data[0]).toMatchObject({ deliveries: 2, acks: 1 })
    expect(client.status()).toBe('ok')
  })

  it('backs off while connections/open fails, reports STREAM_DISCONNECTED, and connects once DingTalk is back', async () => {
    const { sandbox, worker } = await setUp()
    await call(sandbox.url, '/_sandbox/faults', { body: { dingtalkDown: '503' } })
    opens.length = 0
    const keys = await makeKeys()
    const logger = createLogger({ logLevel: 'debug', logPretty: false }, { destination: new Writable({ write: (c, _e, done) => (logLines.push(String(c)), done()) }) })
    const client = createStreamClient({
      apiBase: new URL(sandbox.url),
      appKey: sandbox.config.dingtalk.appKey,
      appSecret: sandbox.config.dingtalk.appSecret,
      worker: { workerUrl: new URL(worker.url), key: await importSigningKey(keys.proxyPrivate), fetch: undiciFetch, now: Date.now },
      logger,
      fetch: countingFetch,
      backoff: { minMs: 40, maxMs: 320 },
      random: () => 1,
    })
    client.start()
    cleanups.push(() => client.close())
    await sleep(900)
    expect(client.status()).toBe('STREAM_DISCONNECTED')
    const gaps = opens.slice(1).map((at, i) => at - opens[i])
    expect(opens.length).toBeGreaterThanOrEqual(4)
    expect(opens.length).toBeLessThanOrEqual(7)
    for (let i = 1; i < gaps.length; i += 1) expect(gaps[i]).toBeGreaterThanOrEqual(Math.min(gaps[i - 1], 300) - 15)
    expect(Math.max(...gaps)).toBeLessThan(400)
    await call(sandbox.url, '/_sandbox/faults', { body: { dingtalkDown: false } })
    await eventually(() => client.status() === 'ok', 'connected after the outage', 2_000)
  })

  it('close() stops reconnecting and acks the in-flight event before closing the connection', async () => {
    const { sandbox, worker } = await setUp({ redeliverMs: 5_000 }, () => ({ delayMs: 300, body: { recorded: true } }))
    const client = await startClient(sandbox, worker)
    await createInstance(sandbox)
    await eventually(() => worker.requests.length === 1, 'the forward')
    await client.close()
    expect((await events(sandbox)).summary.acked).toBe(1)
    await eventually(async () => (await connections(sandbox))[0].state === 'closed', 'closed')
    await sleep(300)
    expect(await connections(sandbox)).toHaveLength(1)
    expect(client.status()).toBe('STREAM_DISCONNECTED')
  })
})

describe('Stream client: rotation of two clients', () => {
  for (const mode of ['spread', 'takeover'] as const) {
    it(`loses nothing and acks nothing twice when a second client replaces the first (${mode})`, async () => {
      const { sandbox, worker } = await setUp({ mode, redeliverMs: 300, attempts: 10 }, () => ({ delayMs: 20, body: { recorded: true } }))
      const first = await startClient(sandbox, worker)
      let running = true
      const load = (async () => {
        while (running) {
          const id = await createInstance(sandbox)
          await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { method: 'POST' })
          await sleep(20)
        }
      })()
      await sleep(300)
      await startClient(sandbox, worker)
      await sleep(200)
      await first.close()
      await sleep(300)
      running = false
      await load
      const total = [...sandbox.state.instances.values()].reduce((n, i) => n + i.events.length, 0)
      expect(total).toBeGreaterThan(10)
      await eventually(async () => (await events(sandbox)).summary.acked === total, `all ${total} events acked`, 5_000)
      expect((await events(sandbox)).summary).toMatchObject({ events: total, failed: 0, delivering: 0, duplicateAcks: 0 })
      const all = [...sandbox.state.instances.values()].flatMap((i) => i.events.map((e) => e.eventId))
      expect(new Set(eventIds(worker))).toEqual(new Set(all))
    })
  }
})

describe('Stream client: secrets and backoff', () => {
  it('computes reconnect delays from 1 s up to 60 s with jitter', () => {
    expect(backoffDelay(1, undefined, () => 0)).toBe(500)
    expect(backoffDelay(1, undefined, () => 1)).toBe(1_000)
    expect(backoffDelay(3, undefined, () => 1)).toBe(4_000)
    expect(backoffDelay(7, undefined, () => 1)).toBe(60_000)
    expect(backoffDelay(50, undefined, () => 0.5)).toBe(45_000)
  })

  it('never logged a ticket or the app secret in any test above', () => {
    const output = logLines.join('')
    expect(output).toContain('dingtalk stream connected')
    expect(tickets.length).toBeGreaterThan(5)
    for (const ticket of tickets) expect(output).not.toContain(ticket)
    for (const secret of appSecrets) expect(output).not.toContain(secret)
  })
})
