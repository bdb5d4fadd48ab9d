import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { makeEnv, makeKeys, rawRequest, startFake, startProxy, tokenHandler, type FakeServer, type Keys, type TestProxy } from './test-kit.ts'

const TOKEN_PATH = '/v1.0/oauth2/accessToken'
let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer
let proxy: TestProxy
let clock = 1_700_000_000_000

beforeAll(async () => {
  keys = await makeKeys()
})
beforeEach(async () => {
  dingtalk = await startFake()
  dingtalk.on(TOKEN_PATH, tokenHandler())
  worker = await startFake()
  proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }), { now: () => clock })
})
afterEach(async () => {
  await proxy.close()
  await Promise.all([dingtalk.close(), worker.close()])
})

describe('health', () => {
  it('answers /healthz with 200 { ok: true }', async () => {
    const res = await rawRequest(proxy.port, 'GET', '/healthz')
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ ok: true })
  })

  it('is ready when a token is obtainable and the worker answers (any status counts as reachable)', async () => {
    const res = await rawRequest(proxy.port, 'GET', '/readyz')
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ ok: true, checks: { config: 'ok', token: 'ok', worker: 'ok' } })
    expect(worker.requests.map((r) => r.url)).toEqual(['/api/health'])
  })

  it('caches readiness for a few seconds', async () => {
    await rawRequest(proxy.port, 'GET', '/readyz')
    await rawRequest(proxy.port, 'GET', '/readyz')
    expect(worker.requests).toHaveLength(1)
    clock += 6_000
    await rawRequest(proxy.port, 'GET', '/readyz')
    expect(worker.requests).toHaveLength(2)
  })

  it('is not ready (503 NOT_READY naming the token check) when DingTalk refuses the token', async () => {
    dingtalk.on(TOKEN_PATH, () => ({ status: 400, body: { code: 'invalidClientIdOrSecret' } }))
    const res = await rawRequest(proxy.port, 'GET', '/readyz')
    expect(res.status).toBe(503)
    expect(res.json.error.code).toBe('NOT_READY')
    expect(res.json.checks.token).toContain('invalidClientIdOrSecret')
    expect(res.json.checks.worker).toBe('ok')
  })

  it('is not ready (503 naming the worker check) when the worker cannot be reached', async () => {
    await worker.close()
    const res = await rawRequest(proxy.port, 'GET', '/readyz')
    expect(res.status).toBe(503)
    expect(res.json.checks).toMatchObject({ token: 'ok', worker: 'worker cannot be reached' })
    expect(res.json.error.message).toContain('worker')
  })

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    for (const target of ['/', '/nope', '/relayx/api', '//relay/api/v1.0/workflow/processInstances']) {
      const res = await rawRequest(proxy.port, 'GET', target)
      expect(res.status).toBe(404)
      expect(res.json.error.code).toBe('NOT_FOUND')
    }
  })

  it('echoes the caller x-request-id', async () => {
    const res = await rawRequest(proxy.port, 'GET', '/healthz', '', { 'x-request-id': 'abc-123' })
    expect(res.headers['x-request-id']).toBe('abc-123')
  })
})
