import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProof, PROXY_AUDIENCE } from '../../proof/src/index.ts'
import { DingTalkCrypto } from './dingtalk-crypto.ts'
import { createLogger, loggableUrl } from './logger.ts'
import { makeEnv, makeKeys, PROCESS_CODE, rawRequest, SECRETS, startFake, startProxy, type FakeServer, type Keys, type TestProxy } from './test-kit.ts'

const ACCESS_TOKENS = ['AT-first-0f9e8d7c6b5a4f3e2d1c', 'AT-second-1a2b3c4d5e6f7a8b9c0d']

let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer
let proxy: TestProxy

beforeAll(async () => {
  keys = await makeKeys()
  dingtalk = await startFake()
  dingtalk.on('/v1.0/oauth2/accessToken', (_r, n) => ({ body: { accessToken: ACCESS_TOKENS[n - 1] ?? 'AT-more', expireIn: 7200 } }))
  // The first token is refused once, so the refresh path logs too.
  dingtalk.on('/v1.0/workflow/processInstances', (req) =>
    req.headers['x-acs-dingtalk-access-token'] === ACCESS_TOKENS[0]
      ? { status: 400, body: { code: 'InvalidAuthentication', message: '不合法的access_token' } }
      : { body: { instanceId: 'i-1' } },
  )
  dingtalk.on('/call_back/get_call_back_failed_result', () => ({ body: { errcode: 0 } }))
  worker = await startFake()
  worker.on('/internal/events', (_r, n) => (n === 1 ? { status: 500 } : { body: { recorded: true } }))
  proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { LOG_LEVEL: 'trace' }))
})
afterAll(async () => {
  await proxy.close()
  await Promise.all([dingtalk.close(), worker.close()])
})

describe('logs', () => {
  it('carry no secret across relays, refreshes, pushes and failures', async () => {
    const proofs: string[] = []
    const relay = async (method: string, target: string, body: string, headers: Record<string, string> = {}) => {
      const proof = await createProof({ key: keys.workerKey, aud: PROXY_AUDIENCE, method, target, body })
      proofs.push(proof)
      return rawRequest(proxy.port, method, target, body, { proof, 'x-request-id': 'log-test', ...headers })
    }
    const create = JSON.stringify({ processCode: PROCESS_CODE })
    expect((await relay('POST', '/relay/api/v1.0/workflow/processInstances', create, { authorization: 'Bearer client-secret-bearer', cookie: 'sid=cookie-secret' })).status).toBe(200)
    expect((await relay('GET', '/relay/oapi/call_back/get_call_back_failed_result?access_token=client-query-secret', '')).status).toBe(200)
    expect((await relay('GET', '/relay/api/v1.0/contact/users', '')).status).toBe(403)
    const replayed = await rawRequest(proxy.port, 'POST', '/relay/api/v1.0/workflow/processInstances', create, { proof: proofs[0] })
    expect(replayed.status).toBe(401)

    const crypto = new DingTalkCrypto({ token: SECRETS.callbackToken, aesKey: SECRETS.aesKey, ownerKey: SECRETS.appKey })
    const encrypts: string[] = []
    for (const event of [{ EventType: 'bpms_instance_change', processInstanceId: 'p1', type: 'finish' }, { EventType: 'check_url' }]) {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const encrypt = crypto.encrypt(JSON.stringify(event))
        encrypts.push(encrypt)
        const ts = String(Date.now())
        await rawRequest(proxy.port, 'POST', `/dingtalk/events?msg_signature=${crypto.signature(ts, 'n', encrypt)}&timestamp=${ts}&nonce=n`, JSON.stringify({ encrypt }))
      }
    }
    await rawRequest(proxy.port, 'POST', '/dingtalk/events?msg_signature=bad&timestamp=1&nonce=n', JSON.stringify({ encrypt: encrypts[0] }))

    const output = proxy.logs.join('')
    expect(output).toContain('relayed')
    expect(output).toContain('dingtalk event recorded by the worker')
    expect(output).toContain('log-test')
    const privateD = JSON.parse(keys.proxyPrivate).d as string
    const workerD = JSON.parse(keys.workerPrivate).d as string
    const secrets = [
      SECRETS.appSecret,
      SECRETS.aesKey,
      SECRETS.callbackToken,
      ...ACCESS_TOKENS,
      privateD,
      workerD,
      'client-secret-bearer',
      'cookie-secret',
      'client-query-secret',
      ...proofs,
      ...proofs.map((p) => p.split('.')[2]),
      ...encrypts,
    ]
    for (const secret of secrets) expect(output).not.toContain(secret)
  })

  it('redacts secret fields even if a log call passes them', () => {
    const lines: string[] = []
    const destination = new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) })
    const logger = createLogger({ logLevel: 'info', logPretty: false }, { destination })
    logger.info({ headers: { authorization: 'Bearer x1', proof: 'p1', 'x-acs-dingtalk-access-token': 't1', cookie: 'c1' }, appSecret: 's1', accessToken: 'a1', aesKey: 'k1', encrypt: 'e1' }, 'x')
    logger.child({ reqId: 'r' }).info({ req: { headers: { authorization: 'Bearer x2' } }, body: { token: 't2' } }, 'y')
    const out = lines.join('')
    for (const secret of ['x1', 'p1', 't1', 'c1', 's1', 'a1', 'k1', 'e1', 'x2', 't2']) expect(out).not.toContain(`"${secret}"`)
    expect(out).toContain('[Redacted]')
  })

  it('masks access_token in logged request targets', () => {
    expect(loggableUrl('/relay/oapi/x?a=1&access_token=SECRET&b=2')).toBe('/relay/oapi/x?a=1&access_token=[Redacted]&b=2')
    expect(loggableUrl('/relay/oapi/x?access%5Ftoken=SECRET')).not.toContain('SECRET')
  })
})
