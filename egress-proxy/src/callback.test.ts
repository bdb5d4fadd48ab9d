import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { importPublicKeys, MemoryReplayStore, verifyProof, WORKER_AUDIENCE } from '../../proof/src/index.ts'
import { DingTalkCrypto } from './dingtalk-crypto.ts'
import { makeEnv, makeKeys, rawRequest, SECRETS, startFake, startProxy, type FakeServer, type Keys, type TestProxy } from './test-kit.ts'

const dingCrypto = new DingTalkCrypto({ token: SECRETS.callbackToken, aesKey: SECRETS.aesKey, ownerKey: SECRETS.appKey })
const APPROVED = {
  EventType: 'bpms_instance_change',
  processInstanceId: 'c1bc186f-f5b1-4143-8dae-4634b12e8d3d',
  type: 'finish',
  result: 'agree',
  title: '张三提交的许可证申请',
  corpId: 'ding5c66fc540b93409235c2f4657eb6378f',
  createTime: 1499308943000,
  finishTime: 1499309117000,
}

let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer
let proxy: TestProxy

beforeAll(async () => {
  keys = await makeKeys()
  dingtalk = await startFake()
})
afterAll(() => dingtalk.close())
beforeEach(async () => {
  worker = await startFake()
  worker.on('/internal/events', () => ({ body: { recorded: true } }))
  proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }))
})
afterEach(async () => {
  await proxy.close()
  await worker.close()
})

type PushOptions = { spelling?: 'msg_signature' | 'signature'; timestampName?: 'timestamp' | 'timeStamp'; signature?: string; crypto?: DingTalkCrypto }

function push(target: TestProxy, plaintext: string | object, options: PushOptions = {}) {
  const crypto = options.crypto ?? dingCrypto
  const text = typeof plaintext === 'string' ? plaintext : JSON.stringify(plaintext)
  const encrypt = crypto.encrypt(text)
  const timestamp = String(Date.now())
  const nonce = 'nOnCe123'
  const signature = options.signature ?? crypto.signature(timestamp, nonce, encrypt)
  const query = `${options.spelling ?? 'msg_signature'}=${signature}&${options.timestampName ?? 'timestamp'}=${timestamp}&nonce=${nonce}`
  return rawRequest(target.port, 'POST', `/dingtalk/events?${query}`, JSON.stringify({ encrypt }), { 'content-type': 'application/json' })
}

function expectSuccessReply(json: any): void {
  expect(Object.keys(json).sort()).toEqual(['encrypt', 'msg_signature', 'nonce', 'timeStamp'])
  expect(dingCrypto.verifySignature(json.msg_signature, json.timeStamp, json.nonce, json.encrypt)).toBe(true)
  expect(dingCrypto.decrypt(json.encrypt)).toBe('success')
}

describe('DingTalk push', () => {
  it('answers check_url with a valid encrypted success (msg_signature, timestamp)', async () => {
    const res = await push(proxy, { EventType: 'check_url' })
    expect(res.status).toBe(200)
    expectSuccessReply(res.json)
    expect(worker.requests).toHaveLength(0)
  })

  it('accepts the other spellings: signature and timeStamp', async () => {
    const res = await push(proxy, { EventType: 'check_url' }, { spelling: 'signature', timestampName: 'timeStamp' })
    expect(res.status).toBe(200)
    expectSuccessReply(res.json)
  })

  it('refuses a bad signature with 403 CALLBACK_BAD_SIGNATURE before decrypting, and logs it', async () => {
    const res = await push(proxy, { EventType: 'check_url' }, { signature: 'f'.repeat(40) })
    expect(res.status).toBe(403)
    expect(res.json.error.code).toBe('CALLBACK_BAD_SIGNATURE')
    expect(proxy.logs.some((line) => JSON.parse(line).level === 40 && line.includes('bad signature'))).toBe(true)
  })

  it('refuses a push without signature parameters with 403 CALLBACK_BAD_SIGNATURE', async () => {
    const res = await rawRequest(proxy.port, 'POST', '/dingtalk/events', JSON.stringify({ encrypt: dingCrypto.encrypt('{}') }))
    expect(res.status).toBe(403)
    expect(res.json.error.code).toBe('CALLBACK_BAD_SIGNATURE')
  })

  it('refuses a push for another owner key with 403 CALLBACK_OWNER_MISMATCH', async () => {
    const other = new DingTalkCrypto({ token: SECRETS.callbackToken, aesKey: SECRETS.aesKey, ownerKey: 'dingOTHERAPP' })
    const res = await push(proxy, APPROVED, { crypto: other })
    expect(res.status).toBe(403)
    expect(res.json.error.code).toBe('CALLBACK_OWNER_MISMATCH')
    expect(worker.requests).toHaveLength(0)
    expect(proxy.logs.some((line) => line.includes('CALLBACK_OWNER_MISMATCH'))).toBe(true)
  })

  it('refuses a body that is not JSON with 400 CALLBACK_BAD_REQUEST, and one over 64 KB with 413', async () => {
    const bad = await rawRequest(proxy.port, 'POST', '/dingtalk/events?signature=a&timestamp=1&nonce=n', 'encrypt=x')
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('CALLBACK_BAD_REQUEST')
    const big = await rawRequest(proxy.port, 'POST', '/dingtalk/events', JSON.stringify({ encrypt: 'a'.repeat(70_000) }))
    expect(big.status).toBe(413)
  })

  it('refuses a decrypted plaintext that is not JSON with 400 CALLBACK_BAD_EVENT', async () => {
    const res = await push(proxy, 'not json')
    expect(res.status).toBe(400)
    expect(res.json.error.code).toBe('CALLBACK_BAD_EVENT')
  })

  it('forwards bpms_instance_change to the worker with a proof it accepts and the body unchanged', async () => {
    const plaintext = JSON.stringify(APPROVED)
    const res = await push(proxy, plaintext)
    expect(res.status).toBe(200)
    expectSuccessReply(res.json)
    expect(worker.requests).toHaveLength(1)
    const [call] = worker.requests
    expect(call.method).toBe('POST')
    expect(call.url).toBe('/internal/events')
    expect(call.body).toBe(plaintext)
    expect(call.headers['content-type']).toBe('application/json')
    expect(call.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const claims = await verifyProof(call.headers.proof as string, {
      keys: await importPublicKeys(keys.proxyPublic),
      aud: WORKER_AUDIENCE,
      method: 'POST',
      target: '/internal/events',
      body: call.body,
      replay: new MemoryReplayStore(),
    })
    expect(claims.htu).toBe('/internal/events')
  })

  it('signs for the worker URL path when WORKER_URL has one', async () => {
    await proxy.close()
    worker.on('/base/internal/events', () => ({ body: { recorded: true } }))
    proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: `${worker.url}/base/` }))
    const res = await push(proxy, APPROVED)
    expect(res.status).toBe(200)
    const [call] = worker.requests
    expect(call.url).toBe('/base/internal/events')
    const { htu } = await verifyProof(call.headers.proof as string, {
      keys: await importPublicKeys(keys.proxyPublic),
      aud: WORKER_AUDIENCE,
      method: 'POST',
      target: '/base/internal/events',
      body: call.body,
      replay: new MemoryReplayStore(),
    })
    expect(htu).toBe('/base/internal/events')
  })

  it('answers 503 WORKER_UNAVAILABLE (no success) when the worker answers 500', async () => {
    worker.on('/internal/events', () => ({ status: 500, body: { error: { code: 'INTERNAL' } } }))
    const res = await push(proxy, APPROVED)
    expect(res.status).toBe(503)
    expect(res.json.error.code).toBe('WORKER_UNAVAILABLE')
    expect(res.text).not.toContain('msg_signature')
  })

  it('answers 503 WORKER_UNAVAILABLE when the worker is down', async () => {
    await worker.close()
    const res = await push(proxy, APPROVED)
    expect(res.status).toBe(503)
    expect(res.json.error.code).toBe('WORKER_UNAVAILABLE')
  })

  it('answers 503 WORKER_UNAVAILABLE when the worker does not answer in time', async () => {
    await proxy.close()
    proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }), { tuning: { workerTimeoutMs: 150 } })
    worker.on('/internal/events', () => ({ delayMs: 600, body: { recorded: true } }))
    const res = await push(proxy, APPROVED)
    expect(res.status).toBe(503)
    expect(res.json.error.code).toBe('WORKER_UNAVAILABLE')
  })

  it('acknowledges other event types without forwarding them', async () => {
    const res = await push(proxy, { EventType: 'bpms_task_change', processInstanceId: 'p', type: 'start' })
    expect(res.status).toBe(200)
    expectSuccessReply(res.json)
    expect(worker.requests).toHaveLength(0)
  })

  it('accepts a repeated push (DingTalk retries reuse the signature); the worker deduplicates', async () => {
    const encrypt = dingCrypto.encrypt(JSON.stringify(APPROVED))
    const timestamp = String(Date.now() - 35_000)
    const signature = dingCrypto.signature(timestamp, 'n1', encrypt)
    const send = () =>
      rawRequest(proxy.port, 'POST', `/dingtalk/events?signature=${signature}&timestamp=${timestamp}&nonce=n1`, JSON.stringify({ encrypt }))
    expect((await send()).status).toBe(200)
    expect((await send()).status).toBe(200)
    expect(worker.requests).toHaveLength(2)
  })

  it('refuses other methods with 405', async () => {
    const res = await rawRequest(proxy.port, 'GET', '/dingtalk/events')
    expect(res.status).toBe(405)
    expect(res.json.error.code).toBe('METHOD_NOT_ALLOWED')
    expect(res.headers.allow).toBe('POST')
  })
})
