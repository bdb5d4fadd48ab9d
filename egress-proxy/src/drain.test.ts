// The drain a load balancer can follow (issue 6, item 2): report draining, keep serving the
// deregistration delay, then close, finish in-flight work and stop.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DingTalkCrypto } from './dingtalk-crypto.ts'
import {
  makeEnv,
  makeKeys,
  PROCESS_CODE,
  proxyCheckHandler,
  rawRequest,
  readyzProof,
  SECRETS,
  signedRelay,
  startFake,
  startProxy,
  tokenHandler,
  type FakeServer,
  type Keys,
  type TestProxy,
} from './test-kit.ts'

const CREATE = '/relay/api/v1.0/workflow/processInstances'
const BODY = JSON.stringify({ processCode: PROCESS_CODE })
const TOKEN_PATH = '/v1.0/oauth2/accessToken'

let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer
let proxy: TestProxy

beforeAll(async () => {
  keys = await makeKeys()
  worker = await startFake()
  worker.on('/internal/proxy-check', proxyCheckHandler(keys))
  worker.on('/internal/events', () => ({ body: { recorded: true } }))
})
afterAll(() => worker.close())
beforeEach(async () => {
  dingtalk = await startFake()
  dingtalk.on(TOKEN_PATH, tokenHandler())
  dingtalk.on('/v1.0/workflow/processInstances', () => ({ delayMs: 300, body: { instanceId: 'inst-1' } }))
  proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }), { tuning: { drainDelayMs: 400, readinessCacheMs: 0 } })
})
afterEach(async () => {
  await proxy.close()
  await dingtalk.close()
})

const relayed = () => dingtalk.requests.filter((r) => r.url.split('?')[0] !== TOKEN_PATH)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function push(port: number) {
  const crypto = new DingTalkCrypto({ token: SECRETS.callbackToken, aesKey: SECRETS.aesKey, ownerKey: SECRETS.appKey })
  const encrypt = crypto.encrypt(JSON.stringify({ EventType: 'bpms_instance_change', processInstanceId: 'p', type: 'finish' }))
  const ts = String(Date.now())
  return rawRequest(port, 'POST', `/dingtalk/events?signature=${crypto.signature(ts, 'n', encrypt)}&timestamp=${ts}&nonce=n`, JSON.stringify({ encrypt }))
}

describe('drain', () => {
  it('completes every relay in flight when the drain starts with 2xx', async () => {
    const inflight = Array.from({ length: 5 }, () => signedRelay(proxy, keys, 'POST', CREATE, BODY))
    await sleep(100)
    const stopped = proxy.app.shutdown()
    const answers = await Promise.all(inflight)
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200])
    await stopped
  })

  it('serves a relay that arrives while it still reports ready', async () => {
    const res = await signedRelay(proxy, keys, 'POST', CREATE, BODY)
    proxy.app.drain()
    expect(res.status).toBe(200)
    expect(relayed()).toHaveLength(1)
  })

  it('answers a relay after the drain started with 503 PROXY_DRAINING, retry-after 1, connection close, and relays nothing', async () => {
    proxy.app.drain()
    const res = await signedRelay(proxy, keys, 'POST', CREATE, BODY)
    expect(res.status).toBe(503)
    expect(res.json.error.code).toBe('PROXY_DRAINING')
    expect(res.headers['retry-after']).toBe('1')
    expect(res.headers.connection).toBe('close')
    expect(res.headers['x-licensedesk-proxy']).toBe('proxy-test-1')
    expect(relayed()).toHaveLength(0)
  })

  it('flips /readyz to 503 at once, naming PROXY_DRAINING to a signed caller', async () => {
    expect((await rawRequest(proxy.port, 'GET', '/readyz')).status).toBe(200)
    proxy.app.drain()
    expect(proxy.app.draining).toBe(true)
    const unsigned = await rawRequest(proxy.port, 'GET', '/readyz')
    expect([unsigned.status, unsigned.text]).toEqual([503, '{"ok":false}'])
    const signed = await rawRequest(proxy.port, 'GET', '/readyz', '', await readyzProof(keys))
    expect(signed.json.checks.drain).toBe('PROXY_DRAINING')
    expect(signed.json.proxy.draining).toBe(true)
  })

  it('still handles DingTalk pushes and keeps listening for the drain delay, then stops accepting', async () => {
    const started = Date.now()
    const stopped = proxy.app.shutdown()
    await sleep(100)
    expect((await push(proxy.port)).status).toBe(200)
    expect((await rawRequest(proxy.port, 'GET', '/healthz')).status).toBe(200)
    await stopped
    expect(Date.now() - started).toBeGreaterThanOrEqual(400)
    await expect(rawRequest(proxy.port, 'GET', '/healthz')).rejects.toThrow()
  })

  it('runs onDrain at the start and onClose only after in-flight relays finished', async () => {
    const order: string[] = []
    proxy.app.onDrain(() => void order.push('drain'))
    // What the proxy has answered by the time the hook runs: its request log line for the relay.
    const answered = () => proxy.logs.some((line) => line.includes('"msg":"request"') && line.includes('"status":200') && line.includes('/relay/'))
    proxy.app.onClose(async () => void order.push(`close (relay answered: ${answered()})`))
    const inflight = signedRelay(proxy, keys, 'POST', CREATE, BODY)
    await sleep(50)
    await proxy.app.close() // no delay: the relay (300 ms) is still in flight when the listener closes
    expect((await inflight).status).toBe(200)
    expect(order).toEqual(['drain', 'close (relay answered: true)'])
  })
})
