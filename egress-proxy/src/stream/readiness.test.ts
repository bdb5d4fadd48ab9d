import { afterEach, describe, expect, it } from 'vitest'
import { makeEnv, makeKeys, rawRequest, startFake, startProxy, tokenHandler, type FakeServer, type TestProxy } from '../test-kit.ts'

let proxy: TestProxy | undefined
let fakes: FakeServer[] = []
afterEach(async () => {
  await proxy?.close()
  await Promise.all(fakes.map((f) => f.close()))
  proxy = undefined
  fakes = []
})

describe('readiness with the Stream', () => {
  it('is not ready while the Stream reports STREAM_DISCONNECTED, and ready once it is ok', async () => {
    const dingtalk = await startFake()
    dingtalk.on('/v1.0/oauth2/accessToken', tokenHandler())
    const worker = await startFake()
    fakes = [dingtalk, worker]
    let stream: 'ok' | 'STREAM_DISCONNECTED' = 'STREAM_DISCONNECTED'
    proxy = await startProxy(makeEnv(await makeKeys(), { dingtalk: dingtalk.url, worker: worker.url }), { eventsStatus: () => stream })
    const down = await rawRequest(proxy.port, 'GET', '/readyz')
    expect(down.status).toBe(503)
    expect(down.json.checks.events).toBe('STREAM_DISCONNECTED')
    stream = 'ok'
    const up = await rawRequest(proxy.port, 'GET', '/readyz')
    expect(up.status).toBe(200)
    expect(up.json.checks.events).toBe('ok')
  })
})
