// Least privilege: what a leaked worker key can still do through the proxy (issue 6, item 7).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createProof, PROXY_AUDIENCE } from '../../proof/src/index.ts'
import {
  makeEnv,
  makeKeys,
  ORIGINATOR,
  PROCESS_CODE,
  rawRequest,
  signedRelay,
  startFake,
  startProxy,
  tokenHandler,
  type FakeServer,
  type Keys,
  type TestProxy,
} from './test-kit.ts'

const CREATE = '/relay/api/v1.0/workflow/processInstances'
const QUERY = '/relay/api/v1.0/workflow/processes/instanceIds/query'
const GET_INSTANCE = '/relay/api/v1.0/workflow/processInstances?processInstanceId=inst-1'
const TERMINATE = '/relay/api/v1.0/workflow/processInstances/terminate'
const TOKEN_PATH = '/v1.0/oauth2/accessToken'
const SECRET_TITLE = 'salary review of the CFO'

const instance = (originatorUserId: string, fields: string[]) => ({
  result: { title: SECRET_TITLE, originatorUserId, formComponentValues: fields.map((name) => ({ name, value: 'x' })) },
  success: true,
})

let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer
let proxy: TestProxy
let answer: unknown

beforeAll(async () => {
  keys = await makeKeys()
  worker = await startFake()
})
afterAll(() => worker.close())
beforeEach(async () => {
  answer = instance(ORIGINATOR, ['申请编号', '特征码'])
  dingtalk = await startFake()
  dingtalk.on(TOKEN_PATH, tokenHandler())
  dingtalk.on('/v1.0/workflow/processInstances', (req) => ({ body: req.method === 'GET' ? answer : { instanceId: 'inst-1' } }))
  dingtalk.on('/v1.0/workflow/processInstances/terminate', () => ({ body: { result: true, success: true } }))
  dingtalk.on('/v1.0/workflow/processes/instanceIds/query', () => ({ body: { result: { list: ['inst-1'] }, success: true } }))
  proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }))
})
afterEach(async () => {
  await proxy.close()
  await dingtalk.close()
})

const upstreamCalls = () => dingtalk.requests.filter((r) => r.url.split('?')[0] !== TOKEN_PATH)

async function expectRefused(res: Awaited<ReturnType<typeof signedRelay>>) {
  expect(res.status).toBe(403)
  expect(res.json.error.code).toBe('NOT_ALLOWED')
  expect(res.text).not.toContain(SECRET_TITLE)
}

describe('relay: process scope', () => {
  it('relays a create that names DINGTALK_PROCESS_CODE', async () => {
    const res = await signedRelay(proxy, keys, 'POST', CREATE, JSON.stringify({ processCode: PROCESS_CODE }))
    expect(res.status).toBe(200)
    expect(upstreamCalls()).toHaveLength(1)
  })

  it('refuses a create for another process (403 NOT_ALLOWED) and sends nothing', async () => {
    await expectRefused(await signedRelay(proxy, keys, 'POST', CREATE, JSON.stringify({ processCode: 'PROC-PAYROLL' })))
    await expectRefused(await signedRelay(proxy, keys, 'POST', CREATE, JSON.stringify({ originatorUserId: ORIGINATOR })))
    await expectRefused(await signedRelay(proxy, keys, 'POST', CREATE, 'not json'))
    expect(upstreamCalls()).toHaveLength(0)
    expect(proxy.logs.join('')).toContain('"reason":"process-code"')
  })

  it('relays an instance-id query for our process only', async () => {
    const ours = await signedRelay(proxy, keys, 'POST', QUERY, JSON.stringify({ processCode: PROCESS_CODE, startTime: 1, nextToken: 0, maxResults: 20 }))
    expect(ours.status).toBe(200)
    expect(ours.json.result.list).toEqual(['inst-1'])
    await expectRefused(await signedRelay(proxy, keys, 'POST', QUERY, JSON.stringify({ processCode: 'PROC-PAYROLL', startTime: 1 })))
    expect(upstreamCalls()).toHaveLength(1)
  })

  it('passes back the GET of an instance our originator started with our application-number field', async () => {
    const res = await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    expect(res.status).toBe(200)
    expect(res.json).toEqual(answer)
  })

  it('withholds a foreign instance (another originator) with 403 NOT_ALLOWED, so a leaked key cannot read other approvals', async () => {
    answer = instance('ceo-assistant', ['申请编号'])
    await expectRefused(await signedRelay(proxy, keys, 'GET', GET_INSTANCE))
    expect(proxy.logs.join('')).toContain('"reason":"foreign-instance"')
  })

  it('withholds an instance of our originator without the application-number field', async () => {
    answer = instance(ORIGINATOR, ['事由'])
    await expectRefused(await signedRelay(proxy, keys, 'GET', GET_INSTANCE))
  })

  it("passes DingTalk's own error for an instance GET through (it carries no instance)", async () => {
    dingtalk.on('/v1.0/workflow/processInstances', () => ({ status: 400, body: { code: 'instanceNotExist', message: 'no' } }))
    const res = await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    expect([res.status, res.json.code]).toEqual([400, 'instanceNotExist'])
  })

  it('refuses an instance GET with any query besides one processInstanceId', async () => {
    for (const query of ['', '?processInstanceId=', '?processInstanceId=a&processInstanceId=b', '?processInstanceId=a&x=1']) {
      await expectRefused(await signedRelay(proxy, keys, 'GET', `/relay/api/v1.0/workflow/processInstances${query}`))
    }
    expect(upstreamCalls()).toHaveLength(0)
  })
})

describe('relay: terminate', () => {
  const terminate = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({ processInstanceId: 'inst-1', isSystem: false, remark: '客户撤回', operatingUserId: ORIGINATOR, ...overrides })

  it('relays a terminate of one instance by our originator and passes back DingTalk\'s answer', async () => {
    const res = await signedRelay(proxy, keys, 'POST', TERMINATE, terminate())
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ result: true, success: true })
    expect(upstreamCalls().map((r) => [r.method, r.url])).toEqual([['POST', '/v1.0/workflow/processInstances/terminate']])
  })

  it('refuses a terminate as the system, as another user, of no instance or with extra members (403, reason terminate-scope) and sends nothing', async () => {
    const { operatingUserId: _, ...withoutOperator } = JSON.parse(terminate()) as Record<string, unknown>
    const bodies = [
      terminate({ isSystem: true }),
      terminate({ operatingUserId: 'ceo-assistant' }),
      JSON.stringify(withoutOperator),
      terminate({ processInstanceId: '' }),
      terminate({ processInstanceId: ['inst-1', 'inst-2'] }),
      terminate({ remark: 'x'.repeat(1025) }),
      terminate({ processCode: PROCESS_CODE }),
      'not json',
    ]
    for (const body of bodies) await expectRefused(await signedRelay(proxy, keys, 'POST', TERMINATE, body))
    expect(upstreamCalls()).toHaveLength(0)
    expect(proxy.logs.join('')).toContain('"reason":"terminate-scope"')
  })

  it('refuses near misses of the terminate call: another method, a neighbouring path, the legacy API', async () => {
    await expectRefused(await signedRelay(proxy, keys, 'GET', TERMINATE))
    await expectRefused(await signedRelay(proxy, keys, 'PUT', TERMINATE, terminate()))
    await expectRefused(await signedRelay(proxy, keys, 'POST', `${TERMINATE}/batch`, terminate()))
    await expectRefused(await signedRelay(proxy, keys, 'POST', '/relay/api/v1.0/workflow/processInstances/cancel', terminate()))
    await expectRefused(await signedRelay(proxy, keys, 'POST', '/relay/oapi/topapi/process/instance/terminate', terminate()))
    await expectRefused(await signedRelay(proxy, keys, 'POST', '/relay/oapi/v1.0/workflow/processInstances/terminate', terminate()))
    expect(upstreamCalls()).toHaveLength(0)
  })
})

describe('relay: proofs from before the proxy started', () => {
  it('refuses a proof replayed after a restart with 401 PROOF_PREDATES_PROXY, and relays a fresh one', async () => {
    const body = JSON.stringify({ processCode: PROCESS_CODE })
    const signedAt = Date.now()
    const proof = await createProof({ key: keys.workerKey, aud: PROXY_AUDIENCE, method: 'POST', target: CREATE, body, now: signedAt })
    expect((await rawRequest(proxy.port, 'POST', CREATE, body, { proof })).status).toBe(200)

    // kill -9 and restart: a new process (empty replay store) started after the proof was issued.
    await proxy.close()
    proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }), { startedAt: signedAt + 2_000 })
    const replayed = await rawRequest(proxy.port, 'POST', CREATE, body, { proof })
    expect(replayed.status).toBe(401)
    expect(replayed.json.error.code).toBe('PROOF_PREDATES_PROXY')
    expect(upstreamCalls()).toHaveLength(1)

    const fresh = await signedRelay(proxy, keys, 'POST', CREATE, body, { now: signedAt + 2_000 })
    expect(fresh.status).toBe(200)
    expect(upstreamCalls()).toHaveLength(2)
  })
})

describe('relay: x-licensedesk-proxy', () => {
  it("names the proxy on its own answers and on DingTalk's relayed ones", async () => {
    const own = await signedRelay(proxy, keys, 'POST', CREATE, JSON.stringify({ processCode: 'PROC-PAYROLL' }))
    const unsigned = await rawRequest(proxy.port, 'POST', CREATE, '{}')
    const relayed = await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    for (const res of [own, unsigned, relayed]) expect(res.headers['x-licensedesk-proxy']).toBe('proxy-test-1')
  })
})
