import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CompactSign } from 'jose'
import { bodyHash, createProof, generateEd25519Jwk, importSigningKey, PROXY_AUDIENCE } from '../../proof/src/index.ts'
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
  type ProofOverrides,
  type TestProxy,
} from './test-kit.ts'

const CREATE = '/relay/api/v1.0/workflow/processInstances'
const GET_INSTANCE = '/relay/api/v1.0/workflow/processInstances?processInstanceId=abc-123'
const FAILED = '/relay/oapi/call_back/get_call_back_failed_result'
const TOKEN_PATH = '/v1.0/oauth2/accessToken'
const BODY = JSON.stringify({ processCode: PROCESS_CODE, originatorUserId: ORIGINATOR, formComponentValues: [] })
const OURS = { result: { originatorUserId: ORIGINATOR, formComponentValues: [{ name: '申请编号', value: 'app-1' }] }, success: true }

let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer
let proxy: TestProxy

beforeAll(async () => {
  keys = await makeKeys()
  worker = await startFake()
})
afterAll(() => worker.close())

beforeEach(async () => {
  dingtalk = await startFake()
  dingtalk.on(TOKEN_PATH, tokenHandler())
  dingtalk.on('/v1.0/workflow/processInstances', (req) => ({ body: req.method === 'GET' ? OURS : { instanceId: 'inst-1' } }))
  dingtalk.on('/call_back/get_call_back_failed_result', () => ({ body: { errcode: 0, errmsg: 'ok', has_more: false, failed_list: [] } }))
  proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }))
})
afterEach(async () => {
  await proxy.close()
  await dingtalk.close()
})

const upstreamCalls = () => dingtalk.requests.filter((r) => r.url.split('?')[0] !== TOKEN_PATH)

describe('relay: allowlist and path tricks', () => {
  const tricks: [string, string, string][] = [
    ['dot-dot', 'GET', '/relay/api/v1.0/workflow/../workflow/processInstances'],
    ['encoded dot-dot', 'GET', '/relay/api/v1.0/workflow/%2e%2e/processInstances'],
    ['upper-case encoded dot', 'GET', '/relay/api/v1.0/workflow/%2E/processInstances'],
    ['encoded dot in the query', 'GET', '/relay/api/v1.0/workflow/processInstances?processInstanceId=%2e%2e'],
    ['double slash', 'GET', '/relay/api//v1.0/workflow/processInstances'],
    ['at sign', 'GET', '/relay/api/v1.0/workflow/processInstances@evil.example'],
    ['backslash', 'GET', '/relay/api/v1.0\\workflow/processInstances'],
    ['encoded slash', 'GET', '/relay/api/v1.0%2fworkflow/processInstances'],
    ['absolute URL', 'GET', 'http://evil.example/relay/api/v1.0/workflow/processInstances'],
    ['unknown upstream', 'GET', '/relay/evil/v1.0/workflow/processInstances'],
    ['path outside the allowlist', 'POST', '/relay/api/v1.0/contact/users'],
    ['wrong method', 'DELETE', '/relay/api/v1.0/workflow/processInstances'],
    ['a legacy path on the new upstream', 'POST', '/relay/api/topapi/processinstance/get'],
    ['a terminate that names no instance', 'POST', '/relay/api/v1.0/workflow/processInstances/terminate'],
    ['terminate by GET', 'GET', '/relay/api/v1.0/workflow/processInstances/terminate'],
    ['a path beside terminate', 'POST', '/relay/api/v1.0/workflow/processInstances/terminate/x'],
    ['the legacy instance get (removed)', 'POST', '/relay/oapi/topapi/processinstance/get'],
    ['trailing slash', 'POST', '/relay/api/v1.0/workflow/processInstances/'],
  ]
  for (const [name, method, target] of tricks) {
    it(`refuses ${name} with 403 NOT_ALLOWED and calls nothing upstream`, async () => {
      const res = await signedRelay(proxy, keys, method, target, method === 'GET' || method === 'DELETE' ? '' : '{}')
      expect(res.status).toBe(403)
      expect(res.json.error.code).toBe('NOT_ALLOWED')
      expect(dingtalk.requests).toHaveLength(0)
    })
  }

  it('checks the proof before the allowlist, so an unsigned caller learns nothing about it', async () => {
    const res = await rawRequest(proxy.port, 'GET', '/relay/api/v1.0/contact/users')
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('PROOF_MISSING')
  })
})

describe('relay: proof', () => {
  const body = BODY
  type Case = { overrides?: ProofOverrides; mangle?: (proof: string) => string }
  const cases: [string, () => Promise<Case>][] = [
    ['PROOF_MALFORMED', async () => ({ mangle: () => 'not-a-jws' })],
    ['PROOF_UNKNOWN_KEY', async () => ({ overrides: { key: await importSigningKey((await generateEd25519Jwk()).privateJwk) } })],
    ['PROOF_BAD_SIGNATURE', async () => ({ mangle: (p) => `${p.slice(0, -6)}${p.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}` })],
    ['PROOF_WRONG_AUDIENCE', async () => ({ overrides: { aud: 'licensedesk-worker' } })],
    ['PROOF_EXPIRED', async () => ({ overrides: { now: Date.now() - 120_000 } })],
    ['PROOF_NOT_YET_VALID', async () => ({ overrides: { now: Date.now() + 60_000 } })],
    ['PROOF_WRONG_METHOD', async () => ({ overrides: { method: 'GET' } })],
    ['PROOF_WRONG_TARGET', async () => ({ overrides: { target: '/relay/api/v1.0/workflow/processInstances/terminate' } })],
    ['PROOF_BODY_MISMATCH', async () => ({ overrides: { body: BODY.replace('bot', 'BOT') } })],
  ]
  for (const [code, make] of cases) {
    it(`refuses with 401 ${code} and calls nothing upstream`, async () => {
      const { overrides = {}, mangle } = await make()
      const proof = await createProof({
        key: overrides.key ?? keys.workerKey,
        aud: overrides.aud ?? PROXY_AUDIENCE,
        method: overrides.method ?? 'POST',
        target: overrides.target ?? CREATE,
        body: overrides.body ?? body,
        now: overrides.now,
      })
      const res = await rawRequest(proxy.port, 'POST', CREATE, body, { proof: mangle ? mangle(proof) : proof })
      expect(res.status).toBe(401)
      expect(res.json.error.code).toBe(code)
      expect(dingtalk.requests).toHaveLength(0)
    })
  }

  it('refuses a missing proof with 401 PROOF_MISSING', async () => {
    const res = await rawRequest(proxy.port, 'POST', CREATE, body, { 'content-type': 'application/json' })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('PROOF_MISSING')
    expect(dingtalk.requests).toHaveLength(0)
  })

  it('refuses a proof living longer than 60 s with 401 PROOF_TOO_LONG_LIVED', async () => {
    const iat = Math.floor(Date.now() / 1000)
    const claims = { aud: PROXY_AUDIENCE, iat, exp: iat + 120, jti: 'j'.repeat(22), htm: 'POST', htu: CREATE, bh: await bodyHash(body) }
    const proof = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.workerKey.kid, typ: 'proof+jwt' })
      .sign(keys.workerKey.key)
    const res = await rawRequest(proxy.port, 'POST', CREATE, body, { proof })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('PROOF_TOO_LONG_LIVED')
    expect(dingtalk.requests).toHaveLength(0)
  })

  it('refuses a replayed proof with 401 PROOF_REPLAYED after relaying it once', async () => {
    const first = await signedRelay(proxy, keys, 'POST', CREATE, body, { jti: 'replayed-jti-0123456789' })
    expect(first.status).toBe(200)
    const again = await signedRelay(proxy, keys, 'POST', CREATE, body, { jti: 'replayed-jti-0123456789' })
    expect(again.status).toBe(401)
    expect(again.json.error.code).toBe('PROOF_REPLAYED')
    expect(upstreamCalls()).toHaveLength(1)
  })

  it('refuses a body over 64 KB with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ x: 'a'.repeat(70_000) })
    const res = await signedRelay(proxy, keys, 'POST', CREATE, big)
    expect(res.status).toBe(413)
    expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(upstreamCalls()).toHaveLength(0)
  })
})

describe('relay: forwarding', () => {
  it('injects the token header for api, strips proof, cookies and client tokens, and passes status and body through', async () => {
    dingtalk.on('/v1.0/workflow/processInstances', () => ({ status: 400, body: { code: 'processCodeError', message: 'bad code' } }))
    const body = BODY
    const res = await signedRelay(proxy, keys, 'POST', CREATE, body, {}, {
      cookie: 'a=b',
      authorization: 'Bearer client',
      'x-acs-dingtalk-access-token': 'client-token',
      'x-forwarded-for': '1.2.3.4',
    })
    expect(res.status).toBe(400)
    expect(res.json).toEqual({ code: 'processCodeError', message: 'bad code' })
    const [call] = upstreamCalls()
    expect(call.method).toBe('POST')
    expect(call.url).toBe('/v1.0/workflow/processInstances')
    expect(call.body).toBe(body)
    expect(call.headers['x-acs-dingtalk-access-token']).toBe('tok-1')
    expect(call.headers['content-type']).toBe('application/json')
    for (const name of ['proof', 'cookie', 'authorization', 'x-request-id', 'x-forwarded-for']) expect(call.headers[name]).toBeUndefined()
    expect(call.headers.host).toBe(new URL(dingtalk.url).host)
  })

  it('passes the query of a GET through unchanged', async () => {
    const res = await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    expect(res.status).toBe(200)
    expect(upstreamCalls()[0].url).toBe('/v1.0/workflow/processInstances?processInstanceId=abc-123')
  })

  it('injects access_token as a query parameter for oapi and drops a client-supplied one', async () => {
    const target = `${FAILED}?access_token=client-token&x=1`
    const res = await signedRelay(proxy, keys, 'GET', target)
    expect(res.status).toBe(200)
    expect(res.json.errcode).toBe(0)
    const [call] = upstreamCalls()
    expect(call.url).toBe('/call_back/get_call_back_failed_result?x=1&access_token=tok-1')
    expect(call.headers['x-acs-dingtalk-access-token']).toBeUndefined()
  })

  it('fetches one token for many calls', async () => {
    for (let i = 0; i < 5; i += 1) expect((await signedRelay(proxy, keys, 'GET', GET_INSTANCE)).status).toBe(200)
    expect(dingtalk.requests.filter((r) => r.url === TOKEN_PATH)).toHaveLength(1)
  })

  it('answers 502 UPSTREAM_UNREACHABLE when DingTalk refuses the connection (nothing sent)', async () => {
    const gone = await startFake()
    await gone.close()
    await proxy.close()
    proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { DINGTALK_OAPI_BASE: gone.url }))
    const res = await signedRelay(proxy, keys, 'GET', FAILED)
    expect(res.status).toBe(502)
    expect(res.json.error.code).toBe('UPSTREAM_UNREACHABLE')
    expect((await rawRequest(proxy.port, 'GET', '/healthz')).status).toBe(200)
  })

  it('answers 504 UPSTREAM_TIMEOUT (outcome unknown) when DingTalk resets the connection after the call was sent, and keeps serving', async () => {
    dingtalk.on('/v1.0/workflow/processInstances', (_req, n) => (n === 1 ? { destroy: true } : { body: OURS }))
    const res = await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    expect(res.status).toBe(504)
    expect(res.json.error.code).toBe('UPSTREAM_TIMEOUT')
    expect(upstreamCalls()).toHaveLength(1)
    expect((await signedRelay(proxy, keys, 'GET', GET_INSTANCE)).status).toBe(200)
  })

  it('answers 503 TOKEN_UNAVAILABLE with the DingTalk code when the token cannot be had (nothing sent)', async () => {
    dingtalk.on(TOKEN_PATH, () => ({ status: 403, body: { code: 'Forbidden.AccessDenied.IpNotInWhiteList', message: '访问ip不在白名单之中' } }))
    const res = await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    expect(res.status).toBe(503)
    expect(res.json.error.code).toBe('TOKEN_UNAVAILABLE')
    expect(res.json.error.message).toContain('Forbidden.AccessDenied.IpNotInWhiteList')
    expect(upstreamCalls()).toHaveLength(0)
  })

  it('streams an answer larger than the 1 MB buffer unchanged', async () => {
    const large = JSON.stringify({ data: 'x'.repeat(1_500_000) })
    dingtalk.on('/call_back/get_call_back_failed_result', () => ({ body: large }))
    const res = await signedRelay(proxy, keys, 'GET', FAILED)
    expect(res.status).toBe(200)
    expect(res.text).toBe(large)
  })
})

describe('relay: invalid token', () => {
  it('refetches the token and repeats once on InvalidAuthentication', async () => {
    dingtalk.on('/v1.0/workflow/processInstances', (req) =>
      req.headers['x-acs-dingtalk-access-token'] === 'tok-1'
        ? { status: 400, body: { code: 'InvalidAuthentication', message: '不合法的access_token' } }
        : { body: { instanceId: 'inst-2' } },
    )
    const res = await signedRelay(proxy, keys, 'POST', CREATE, BODY)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ instanceId: 'inst-2' })
    expect(upstreamCalls().map((r) => r.headers['x-acs-dingtalk-access-token'])).toEqual(['tok-1', 'tok-2'])
    expect(upstreamCalls()[1].body).toBe(BODY)
  })

  it('refetches and repeats once on legacy errcode 40014 (HTTP 200)', async () => {
    dingtalk.on('/call_back/get_call_back_failed_result', (req) =>
      req.url.includes('access_token=tok-1') ? { body: { errcode: 40014, errmsg: 'invalid access_token' } } : { body: { errcode: 0, errmsg: 'ok' } },
    )
    const res = await signedRelay(proxy, keys, 'GET', FAILED)
    expect(res.json).toEqual({ errcode: 0, errmsg: 'ok' })
    expect(upstreamCalls().map((r) => new URL(r.url, 'http://x').searchParams.get('access_token'))).toEqual(['tok-1', 'tok-2'])
  })

  it('refetches and repeats once on legacy errcode 88 with sub_code 40014', async () => {
    dingtalk.on('/call_back/get_call_back_failed_result', (_req, n) =>
      n === 1 ? { body: { errcode: 88, sub_code: '40014', sub_msg: '不合法的access_token' } } : { body: { errcode: 0 } },
    )
    const res = await signedRelay(proxy, keys, 'GET', FAILED)
    expect(res.json).toEqual({ errcode: 0 })
    expect(upstreamCalls()).toHaveLength(2)
  })

  it('passes the rejection on instead of looping when the fresh token is rejected too', async () => {
    dingtalk.on('/v1.0/workflow/processInstances', () => ({ status: 401, body: { code: 'InvalidAuthentication', message: 'no' } }))
    const res = await signedRelay(proxy, keys, 'POST', CREATE, BODY)
    expect(res.status).toBe(401)
    expect(res.json.code).toBe('InvalidAuthentication')
    expect(upstreamCalls()).toHaveLength(2)
    expect(dingtalk.requests.filter((r) => r.url === TOKEN_PATH)).toHaveLength(2)
  })

  it('does not repeat on other errors', async () => {
    dingtalk.on('/call_back/get_call_back_failed_result', () => ({ body: { errcode: 88, sub_code: '40000', sub_msg: 'access_token is blank' } }))
    await signedRelay(proxy, keys, 'GET', FAILED)
    expect(upstreamCalls()).toHaveLength(1)
  })
})

describe('relay: timeouts and source address', () => {
  it('answers 504 UPSTREAM_TIMEOUT when DingTalk received the call but is too slow', async () => {
    await proxy.close()
    proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { UPSTREAM_TIMEOUT_MS: '200' }))
    dingtalk.on('/v1.0/workflow/processInstances', () => ({ delayMs: 1_000, body: {} }))
    const res = await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    expect(res.status).toBe(504)
    expect(res.json.error.code).toBe('UPSTREAM_TIMEOUT')
    expect(upstreamCalls()).toHaveLength(1)
  })

  it('sends the token fetch and the relayed call from EGRESS_LOCAL_ADDRESS', async () => {
    await proxy.close()
    proxy = await startProxy(makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { EGRESS_LOCAL_ADDRESS: '127.0.0.2' }))
    const res = await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    expect(res.status).toBe(200)
    expect(dingtalk.requests.map((r) => [r.url.split('?')[0], r.remoteAddress])).toEqual([
      [TOKEN_PATH, '127.0.0.2'],
      ['/v1.0/workflow/processInstances', '127.0.0.2'],
    ])
  })

  it('keeps the upstream connection alive across calls (one socket for a sequence of calls)', async () => {
    for (let i = 0; i < 4; i += 1) expect((await signedRelay(proxy, keys, 'GET', GET_INSTANCE)).status).toBe(200)
    const relayed = upstreamCalls()
    expect(new Set(relayed.map((r) => r.remotePort)).size).toBe(1)
    expect(relayed[0].headers.connection).not.toBe('close')
  })

  it('uses the default source address without EGRESS_LOCAL_ADDRESS', async () => {
    await signedRelay(proxy, keys, 'GET', GET_INSTANCE)
    expect(new Set(dingtalk.requests.map((r) => r.remoteAddress))).toEqual(new Set(['127.0.0.1']))
  })
})
