import { pino } from 'pino'
import { Agent, fetch } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TokenUnavailableError } from './errors.ts'
import { startFake, tokenHandler, type FakeServer } from './test-kit.ts'
import { TokenCache, type TokenCacheOptions } from './token-cache.ts'
import { isInvalidTokenAnswer } from './token-answers.ts'

const TOKEN_PATH = '/v1.0/oauth2/accessToken'
let dingtalk: FakeServer
let clock: number
const agents: Agent[] = []

beforeEach(async () => {
  dingtalk = await startFake()
  dingtalk.on(TOKEN_PATH, tokenHandler(7200))
  clock = 1_700_000_000_000
})
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()))
  await dingtalk.close()
})

function cache(options: Partial<TokenCacheOptions> = {}): TokenCache {
  return new TokenCache({
    apiBase: new URL(dingtalk.url),
    appKey: 'dingappkey',
    appSecret: 'app-secret',
    fetch,
    logger: pino({ level: 'silent' }),
    now: () => clock,
    ...options,
  })
}

const tokenCalls = () => dingtalk.requests.filter((r) => r.url === TOKEN_PATH)

describe('token cache', () => {
  it('posts appKey and appSecret as JSON to /v1.0/oauth2/accessToken', async () => {
    expect(await cache().get()).toBe('tok-1')
    const [call] = tokenCalls()
    expect(call.method).toBe('POST')
    expect(call.headers['content-type']).toBe('application/json')
    expect(JSON.parse(call.body)).toEqual({ appKey: 'dingappkey', appSecret: 'app-secret' })
  })

  it('fetches once for many calls', async () => {
    const tokens = cache()
    for (let i = 0; i < 10; i += 1) expect(await tokens.get()).toBe('tok-1')
    expect(tokenCalls()).toHaveLength(1)
  })

  it('shares one fetch between concurrent callers', async () => {
    dingtalk.on(TOKEN_PATH, (_r, n) => ({ delayMs: 50, body: { accessToken: `tok-${n}`, expireIn: 7200 } }))
    const tokens = cache()
    const all = await Promise.all(Array.from({ length: 20 }, () => tokens.get()))
    expect(new Set(all)).toEqual(new Set(['tok-1']))
    expect(tokenCalls()).toHaveLength(1)
  })

  it('refreshes about 10 minutes before expiry', async () => {
    const tokens = cache()
    const start = clock
    expect(await tokens.get()).toBe('tok-1')
    clock = start + (7200 - 601) * 1000
    expect(await tokens.get()).toBe('tok-1')
    clock = start + (7200 - 599) * 1000
    expect(await tokens.get()).toBe('tok-2')
    expect(tokenCalls()).toHaveLength(2)
  })

  it('refreshes at half the lifetime when the lifetime is shorter than 20 minutes', async () => {
    dingtalk.on(TOKEN_PATH, tokenHandler(60))
    const tokens = cache()
    await tokens.get()
    clock += 29_000
    expect(await tokens.get()).toBe('tok-1')
    clock += 2_000
    expect(await tokens.get()).toBe('tok-2')
  })

  it('drops the token on invalidate, but only when it is the rejected one', async () => {
    const tokens = cache()
    await tokens.get()
    tokens.invalidate('some-older-token')
    expect(await tokens.get()).toBe('tok-1')
    tokens.invalidate('tok-1')
    expect(await tokens.get()).toBe('tok-2')
  })

  it('fails with TOKEN_UNAVAILABLE naming the DingTalk code, and backs off before trying again', async () => {
    dingtalk.on(TOKEN_PATH, () => ({ status: 400, body: { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' } }))
    const tokens = cache({ failureBackoffMs: 5_000 })
    const error = await tokens.get().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TokenUnavailableError)
    expect((error as TokenUnavailableError).code).toBe('TOKEN_UNAVAILABLE')
    expect((error as Error).message).toContain('400 invalidClientIdOrSecret')
    for (let i = 0; i < 5; i += 1) await expect(tokens.get()).rejects.toThrow('invalidClientIdOrSecret')
    expect(tokenCalls()).toHaveLength(1)
    clock += 5_001
    dingtalk.on(TOKEN_PATH, tokenHandler())
    expect(await tokens.get()).toMatch(/^tok-/)
    expect(tokenCalls()).toHaveLength(2)
  })

  it('reports an unreachable token endpoint as TOKEN_UNAVAILABLE', async () => {
    await dingtalk.close()
    await expect(cache().get()).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE', message: expect.stringContaining('cannot be reached') })
  })

  it('gives up on a silent token endpoint after 3 s with DINGTALK_UNREACHABLE (the proxy budget is 3 s + 10 s)', async () => {
    dingtalk.on(TOKEN_PATH, () => ({ delayMs: 4_000, body: { accessToken: 'late', expireIn: 7200 } }))
    const started = Date.now()
    const error = await cache().get().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TOKEN_UNAVAILABLE', fault: 'DINGTALK_UNREACHABLE', status: 503 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900)
    expect(Date.now() - started).toBeLessThan(3_800)
  }, 10_000)

  it('names the operator faults: IP not whitelisted, wrong credentials', async () => {
    dingtalk.on(TOKEN_PATH, () => ({ status: 403, body: { code: 'Forbidden.AccessDenied.IpNotInWhiteList' } }))
    await expect(cache().get()).rejects.toMatchObject({ fault: 'IP_NOT_WHITELISTED' })
    dingtalk.on(TOKEN_PATH, () => ({ status: 400, body: { code: 'invalidClientIdOrSecret' } }))
    await expect(cache().get()).rejects.toMatchObject({ fault: 'DINGTALK_CREDENTIALS_INVALID' })
    dingtalk.on(TOKEN_PATH, () => ({ status: 503, body: { code: 'systemBusy' } }))
    await expect(cache().get()).rejects.toMatchObject({ fault: 'TOKEN_UNAVAILABLE' })
  })

  it('keeps serving a still valid token when an early refresh fails', async () => {
    const tokens = cache()
    await tokens.get()
    dingtalk.on(TOKEN_PATH, () => ({ status: 503, body: { code: 'systemBusy' } }))
    clock += (7200 - 300) * 1000
    expect(await tokens.get()).toBe('tok-1')
    expect(tokenCalls()).toHaveLength(2)
  })

  it('fetches from the dispatcher local address (EGRESS_LOCAL_ADDRESS)', async () => {
    const dispatcher = new Agent({ localAddress: '127.0.0.2' })
    agents.push(dispatcher)
    await cache({ dispatcher }).get()
    expect(tokenCalls()[0].remoteAddress).toBe('127.0.0.2')
  })
})

describe('invalid-token answers', () => {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value))
  it('recognises the new API InvalidAuthentication on 400 and 401', () => {
    expect(isInvalidTokenAnswer(400, json({ code: 'InvalidAuthentication', message: '不合法的access_token' }))).toBe(true)
    expect(isInvalidTokenAnswer(401, json({ code: 'InvalidAuthentication' }))).toBe(true)
    expect(isInvalidTokenAnswer(200, json({ code: 'InvalidAuthentication' }))).toBe(false)
    expect(isInvalidTokenAnswer(400, json({ code: 'processCodeError' }))).toBe(false)
  })

  it('recognises legacy errcodes 40001, 40014, 42001 and 88 with those sub_codes', () => {
    for (const errcode of [40001, 40014, 42001, '40014']) expect(isInvalidTokenAnswer(200, json({ errcode }))).toBe(true)
    for (const sub_code of ['40001', '40014', '42001', 40014]) expect(isInvalidTokenAnswer(200, json({ errcode: 88, sub_code }))).toBe(true)
    expect(isInvalidTokenAnswer(200, json({ errcode: 88, sub_code: '40000' }))).toBe(false)
    expect(isInvalidTokenAnswer(200, json({ errcode: 0 }))).toBe(false)
    expect(isInvalidTokenAnswer(200, json({ errcode: 60020 }))).toBe(false)
  })

  it('ignores bodies that are not JSON objects', () => {
    expect(isInvalidTokenAnswer(400, Buffer.from('InvalidAuthentication'))).toBe(false)
    expect(isInvalidTokenAnswer(400, Buffer.alloc(0))).toBe(false)
    expect(isInvalidTokenAnswer(400, json(null))).toBe(false)
  })
})
