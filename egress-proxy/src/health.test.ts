import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Env } from './config.ts'
import { checkCallbackConfig } from './health.ts'
import {
  dingtalkTokenHandler,
  makeEnv,
  makeKeys,
  proxyCheckHandler,
  rawRequest,
  readyzProof,
  SECRETS,
  startFake,
  startProxy,
  type FakeServer,
  type Keys,
  type TestProxy,
} from './test-kit.ts'

const TOKEN_PATH = '/v1.0/oauth2/accessToken'
const CHECK_PATH = '/internal/proxy-check'
let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer
let proxy: TestProxy | undefined
/** Other servers a test starts (closed after it). */
const extra: FakeServer[] = []
let clock = Date.now()

beforeAll(async () => {
  keys = await makeKeys()
})
beforeEach(async () => {
  clock = Date.now()
  // Whitelists 127.0.0.2 only: the proxy must call from EGRESS_LOCAL_ADDRESS to get a token.
  dingtalk = await startFake()
  dingtalk.on(TOKEN_PATH, dingtalkTokenHandler({ allowedIps: ['127.0.0.2'] }))
  worker = await startFake()
  worker.on(CHECK_PATH, proxyCheckHandler(keys))
})
afterEach(async () => {
  await proxy?.close()
  proxy = undefined
  caller = undefined
  await Promise.all([dingtalk.close(), worker.close(), ...extra.splice(0).map((f) => f.close())])
})

async function start(extra: Env = {}, options = {}): Promise<TestProxy> {
  proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { EGRESS_LOCAL_ADDRESS: '127.0.0.2', ...extra }), {
    now: () => clock,
    startedAt: clock - 1000,
    ...options,
  })
  return proxy
}

/** Key the readiness caller signs with: the worker's, unless a test makes the proxy trust another one. */
let caller: Keys | undefined

async function signedReadyz(target: TestProxy) {
  return rawRequest(target.port, 'GET', '/readyz', '', await readyzProof(keys, (caller ?? keys).workerKey))
}

describe('readiness', () => {
  it('answers /healthz with 200 { ok: true }', async () => {
    const res = await rawRequest((await start()).port, 'GET', '/healthz')
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ ok: true })
  })

  it('tells a signed caller every check and who it is, and sends the worker a signed heartbeat', async () => {
    const res = await signedReadyz(await start())
    expect(res.status).toBe(200)
    expect(res.json).toEqual({
      ok: true,
      proxy: { id: 'proxy-test-1', startedAt: new Date(clock - 1000).toISOString(), draining: false, egressAddress: '127.0.0.2', events: 'http' },
      checks: { token: 'ok', worker: 'ok', events: 'ok', drain: 'ok' },
    })
    const [beat] = worker.requests.filter((r) => r.url === CHECK_PATH)
    expect(JSON.parse(beat.body)).toEqual({ nonce: expect.any(String), proxyId: 'proxy-test-1', egressAddress: '127.0.0.2', events: 'http', ready: true })
    expect(beat.headers.proof).toBeTruthy()
  })

  it('tells an unsigned caller only { ok } — on success and on failure', async () => {
    const ready = await start()
    expect(await rawRequest(ready.port, 'GET', '/readyz').then((r) => [r.status, r.text])).toEqual([200, '{"ok":true}'])
    await ready.close()
    const broken = await start({ EGRESS_LOCAL_ADDRESS: undefined })
    const res = await rawRequest(broken.port, 'GET', '/readyz')
    expect([res.status, res.text]).toEqual([503, '{"ok":false}'])
  })

  it('tells a caller with an invalid proof (another key) only { ok }', async () => {
    const stranger = await makeKeys()
    const res = await rawRequest((await start()).port, 'GET', '/readyz', '', await readyzProof(keys, stranger.workerKey))
    expect([res.status, res.text]).toEqual([200, '{"ok":true}'])
  })

  it('caches the checks for a few seconds', async () => {
    const target = await start()
    await signedReadyz(target)
    await signedReadyz(target)
    expect(worker.requests).toHaveLength(1)
    clock += 6_000
    await signedReadyz(target)
    expect(worker.requests).toHaveLength(2)
  })

  const faults: [string, string, string, () => Env | Promise<Env>][] = [
    ['token', 'IP_NOT_WHITELISTED', 'the proxy calls from an address DingTalk has not whitelisted', () => ({ EGRESS_LOCAL_ADDRESS: undefined })],
    ['token', 'DINGTALK_CREDENTIALS_INVALID', 'the app secret is wrong', () => ({ DINGTALK_APP_SECRET: `${SECRETS.appSecret}-old` })],
    ['token', 'DINGTALK_UNREACHABLE', 'DingTalk cannot be reached', async () => {
      const gone = await startFake()
      await gone.close()
      return { DINGTALK_API_BASE: gone.url }
    }],
    ['worker', 'WORKER_UNREACHABLE', 'nothing listens at WORKER_URL', async () => {
      const gone = await startFake()
      await gone.close()
      return { WORKER_URL: gone.url }
    }],
    ['worker', 'WORKER_NOT_LICENSEDESK', 'WORKER_URL points at some other HTTP server', async () => {
      const other = await startFake()
      extra.push(other)
      other.on(CHECK_PATH, () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>hello</html>' }))
      return { WORKER_URL: other.url }
    }],
    ['worker', 'PROXY_KEY_UNKNOWN_TO_WORKER', "the proxy's private key is not the one the worker trusts", async () => ({ PROXY_PRIVATE_JWK: (await makeKeys()).proxyPrivate })],
    ['worker', 'WORKER_KEY_MISMATCH', "the proxy's WORKER_PUBLIC_JWK is not the worker's key", async () => {
      // The operator reads the details with the key the proxy trusts; the worker signs with its own.
      caller = await makeKeys()
      return { WORKER_PUBLIC_JWK: caller.workerPublic }
    }],
    ['events', 'STREAM_DISCONNECTED', 'stream mode has no connection', () => ({ DINGTALK_EVENTS: 'stream' })],
  ]
  for (const [check, code, fault, env] of faults) {
    it(`is not ready with ${check}: ${code} when ${fault}`, async () => {
      const res = await signedReadyz(await start(await env()))
      expect(res.status).toBe(503)
      expect(res.json.ok).toBe(false)
      expect(res.json.checks[check]).toBe(code)
      const others = Object.entries(res.json.checks).filter(([name]) => name !== check)
      expect(Object.fromEntries(others)).toEqual(Object.fromEntries(others.map(([name]) => [name, 'ok'])))
    })
  }

  it('reports WORKER_NOT_LICENSEDESK for a 404 at WORKER_URL too', async () => {
    const other = await startFake()
    extra.push(other)
    const res = await signedReadyz(await start({ WORKER_URL: other.url }))
    expect(res.json.checks.worker).toBe('WORKER_NOT_LICENSEDESK')
  })

  it('tells the worker it is not ready in the heartbeat when its token check fails', async () => {
    await signedReadyz(await start({ EGRESS_LOCAL_ADDRESS: undefined }))
    expect(JSON.parse(worker.requests[0].body).ready).toBe(false)
  })

  it('is ready in stream mode once the Stream client registers a connected check', async () => {
    const target = await start({ DINGTALK_EVENTS: 'stream' }, { tuning: { readinessCacheMs: 0 } })
    expect((await signedReadyz(target)).json.checks.events).toBe('STREAM_DISCONNECTED')
    target.app.setEventsCheck(() => 'ok')
    const res = await signedReadyz(target)
    expect(res.status).toBe(200)
    expect(res.json.proxy.events).toBe('stream')
  })

  it('reports CALLBACK_CONFIG_INVALID for callback secrets that do not make a cipher', () => {
    const dingtalkConfig = { callbackToken: SECRETS.callbackToken, callbackAesKey: SECRETS.aesKey, ownerKey: SECRETS.appKey } as never
    expect(checkCallbackConfig(dingtalkConfig)).toBe('ok')
    expect(checkCallbackConfig({ ...(dingtalkConfig as object), callbackAesKey: 'short' } as never)).toBe('CALLBACK_CONFIG_INVALID')
    expect(checkCallbackConfig({ ...(dingtalkConfig as object), callbackToken: 'has space' } as never)).toBe('CALLBACK_CONFIG_INVALID')
  })

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    const target = await start()
    for (const path of ['/', '/nope', '/relayx/api', '//relay/api/v1.0/workflow/processInstances']) {
      const res = await rawRequest(target.port, 'GET', path)
      expect(res.status).toBe(404)
      expect(res.json.error.code).toBe('NOT_FOUND')
    }
  })

  it('echoes the caller x-request-id and names itself in x-licensedesk-proxy', async () => {
    const res = await rawRequest((await start()).port, 'GET', '/healthz', '', { 'x-request-id': 'abc-123' })
    expect(res.headers['x-request-id']).toBe('abc-123')
    expect(res.headers['x-licensedesk-proxy']).toBe('proxy-test-1')
  })
})
