import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DingTalkCrypto } from './dingtalk-crypto.ts'
import { makeEnv, makeKeys, SECRETS, startFake, startProxy, type FakeServer, type Keys } from './test-kit.ts'

let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer

beforeAll(async () => {
  keys = await makeKeys()
  dingtalk = await startFake()
  worker = await startFake()
  worker.on('/internal/events', () => ({ delayMs: 300, body: { recorded: true } }))
})
afterAll(async () => {
  await Promise.all([dingtalk.close(), worker.close()])
})

describe('graceful close', () => {
  it('finishes an in-flight request on a keep-alive connection, then stops accepting and resolves', async () => {
    const proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }))
    const agent = new http.Agent({ keepAlive: true })
    const crypto = new DingTalkCrypto({ token: SECRETS.callbackToken, aesKey: SECRETS.aesKey, ownerKey: SECRETS.appKey })
    const encrypt = crypto.encrypt(JSON.stringify({ EventType: 'bpms_instance_change', processInstanceId: 'p', type: 'finish' }))
    const ts = String(Date.now())
    const status = new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: proxy.port, method: 'POST', path: `/dingtalk/events?signature=${crypto.signature(ts, 'n', encrypt)}&timestamp=${ts}&nonce=n`, agent },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        },
      )
      req.on('error', reject)
      req.end(JSON.stringify({ encrypt }))
    })
    await new Promise((r) => setTimeout(r, 100))
    const started = Date.now()
    await proxy.close()
    expect(await status).toBe(200)
    expect(Date.now() - started).toBeLessThan(2_000)
    await expect(fetch(`${proxy.url}/healthz`)).rejects.toThrow()
    agent.destroy()
  })
})
