import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { call, readJson, rows, submit, validApplication } from '../../test/helpers.ts'

const VERIFY = 'https://siteverify.test/turnstile/v0/siteverify'
const bindings = { ...env, TURNSTILE_SITE_KEY: '0x4AAAAAAAtestsite', TURNSTILE_SECRET_KEY: '0x4AAAAAAAtestsecret', TURNSTILE_VERIFY_URL: VERIFY } as Cloudflare.Env
const HOSTNAME = new URL(env.PUBLIC_ORIGIN).hostname

let fake: FakeUpstream
let answer: (form: URLSearchParams) => Response
const verified: URLSearchParams[] = []
beforeEach(() => {
  fake = new FakeUpstream()
  verified.length = 0
  answer = () => Response.json({ success: true, hostname: HOSTNAME, action: 'apply', 'error-codes': [] })
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init)
    if (request.url !== VERIFY) return fake.handle(request)
    const form = new URLSearchParams(await request.text())
    verified.push(form)
    return answer(form)
  })
})
afterEach(() => vi.restoreAllMocks())

const stored = (email: unknown) => rows<{ id: string }>('SELECT id FROM applications WHERE email = ?1', email)

describe('POST /api/applications behind Turnstile', () => {
  it('stores and submits an application whose token siteverify confirms, sending our secret and a UUID idempotency key', async () => {
    const body = validApplication()
    const response = await submit(body, { 'cf-turnstile-response': 'token-1', 'idempotency-key': 'form-1', 'cf-connecting-ip': '203.0.113.5' }, bindings)
    expect(response.status).toBe(201)
    expect(verified).toHaveLength(1)
    expect(verified[0].get('secret')).toBe('0x4AAAAAAAtestsecret')
    expect(verified[0].get('response')).toBe('token-1')
    expect(verified[0].get('remoteip')).toBe('203.0.113.5')
    expect(verified[0].get('idempotency_key')).toMatch(/^[0-9a-f-]{36}$/)
    expect(await stored(body.email)).toHaveLength(1)
  })

  it('refuses a submission without a token with 400 TURNSTILE_REQUIRED, storing nothing and asking DingTalk nothing', async () => {
    const body = validApplication()
    const response = await submit(body, {}, bindings)
    expect(response.status).toBe(400)
    expect((await readJson<{ error: { code: string } }>(response)).error.code).toBe('TURNSTILE_REQUIRED')
    expect(await stored(body.email)).toHaveLength(0)
    expect(fake.relayCalls).toHaveLength(0)
  })

  it('refuses a spent token and one made for another site with 400 TURNSTILE_FAILED, storing nothing', async () => {
    for (const refusal of [
      () => Response.json({ success: false, 'error-codes': ['timeout-or-duplicate'] }),
      () => Response.json({ success: true, hostname: 'evil.example', action: 'apply', 'error-codes': [] }),
    ]) {
      answer = refusal
      const body = validApplication()
      const response = await submit(body, { 'cf-turnstile-response': 'token-2' }, bindings)
      expect(response.status).toBe(400)
      expect((await readJson<{ error: { code: string } }>(response)).error.code).toBe('TURNSTILE_FAILED')
      expect(await stored(body.email)).toHaveLength(0)
    }
    expect(fake.relayCalls).toHaveLength(0)
  })

  it('answers 503 TURNSTILE_UNAVAILABLE when siteverify is down, storing nothing', async () => {
    answer = () => new Response('bad gateway', { status: 502 })
    const body = validApplication()
    const response = await submit(body, { 'cf-turnstile-response': 'token-3' }, bindings)
    expect(response.status).toBe(503)
    expect((await readJson<{ error: { code: string } }>(response)).error.code).toBe('TURNSTILE_UNAVAILABLE')
    expect(await stored(body.email)).toHaveLength(0)
  })

  it('gives the page the site key and script in /api/config, and nothing of the secret', async () => {
    const response = await call(new Request(`${env.PUBLIC_ORIGIN}/api/config`), bindings)
    const body = await readJson<{ turnstile: Record<string, string> }>(response)
    expect(body.turnstile).toEqual({ siteKey: '0x4AAAAAAAtestsite', scriptUrl: 'https://challenges.cloudflare.com/turnstile/v0/api.js', action: 'apply' })
    expect(JSON.stringify(body)).not.toContain('testsecret')
  })
})
