import { afterEach, describe, expect, it } from 'vitest'
import { call, startSandbox, type TestSandbox } from '../test-support.ts'
import { DUMMY_TOKEN, SANDBOX_SECRET, SANDBOX_SITEKEY } from './keys.ts'

let sandbox: TestSandbox
afterEach(async () => {
  await sandbox?.close()
})

async function token(fields: Record<string, string> = {}): Promise<string> {
  const res = await call(sandbox.url, '/turnstile/v0/token', { body: { sitekey: SANDBOX_SITEKEY, action: 'apply', hostname: 'licenses.test', ...fields } })
  expect(res.status).toBe(200)
  return res.body.token
}

async function siteverify(fields: Record<string, string>, form = false) {
  if (!form) return call(sandbox.url, '/turnstile/v0/siteverify', { body: fields })
  return call(sandbox.url, '/turnstile/v0/siteverify', {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
}

describe('the Turnstile emulation', () => {
  it('verifies a fresh token once, with its hostname, action and cdata, from JSON or a form', async () => {
    sandbox = await startSandbox()
    const first = await siteverify({ secret: SANDBOX_SECRET, response: await token({ cdata: 'LD-1' }), remoteip: '203.0.113.9' }, true)
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ success: true, hostname: 'licenses.test', action: 'apply', cdata: 'LD-1', 'error-codes': [] })
    expect(Date.parse(first.body.challenge_ts)).not.toBeNaN()
  })

  it('answers a token used twice with timeout-or-duplicate, unless the retry carries the same idempotency_key', async () => {
    sandbox = await startSandbox()
    const once = await token()
    const key = '5d6e3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b'
    const first = await siteverify({ secret: SANDBOX_SECRET, response: once, idempotency_key: key })
    expect(first.body.success).toBe(true)
    const retry = await siteverify({ secret: SANDBOX_SECRET, response: once, idempotency_key: key })
    expect(retry.body).toEqual(first.body)
    const replay = await siteverify({ secret: SANDBOX_SECRET, response: once, idempotency_key: 'aaaaaaaa-1a0f-4e9d-8c7b-6a5f4e3d2c1b' })
    expect(replay.body).toEqual({ success: false, 'error-codes': ['timeout-or-duplicate'], messages: [] })
    expect((await siteverify({ secret: SANDBOX_SECRET, response: once })).body['error-codes']).toEqual(['timeout-or-duplicate'])
  })

  it('answers a token older than 300 s with timeout-or-duplicate', async () => {
    let clock = Date.UTC(2026, 11, 1)
    sandbox = await startSandbox({}, { now: () => clock })
    const old = await token()
    clock += 300_001
    expect((await siteverify({ secret: SANDBOX_SECRET, response: old })).body['error-codes']).toEqual(['timeout-or-duplicate'])
  })

  it('answers missing and wrong inputs with siteverify error codes', async () => {
    sandbox = await startSandbox()
    const cases: [Record<string, string>, string][] = [
      [{ response: 'x' }, 'missing-input-secret'],
      [{ secret: 'wrong', response: 'x' }, 'invalid-input-secret'],
      [{ secret: SANDBOX_SECRET }, 'missing-input-response'],
      [{ secret: SANDBOX_SECRET, response: 'made-up' }, 'invalid-input-response'],
      [{ secret: SANDBOX_SECRET, response: 'made-up', idempotency_key: 'not-a-uuid' }, 'bad-request'],
    ]
    for (const [fields, code] of cases) expect((await siteverify(fields)).body, code).toMatchObject({ success: false, 'error-codes': [code] })
  })

  it('behaves as documented for the testing keys', async () => {
    sandbox = await startSandbox()
    const pass = await call(sandbox.url, '/turnstile/v0/token', { body: { sitekey: '1x00000000000000000000AA' } })
    expect(pass.body.token).toBe(DUMMY_TOKEN)
    const block = await call(sandbox.url, '/turnstile/v0/token', { body: { sitekey: '2x00000000000000000000AB' } })
    expect(block.status).toBe(403)
    expect((await siteverify({ secret: '1x0000000000000000000000000000000AA', response: DUMMY_TOKEN })).body.success).toBe(true)
    expect((await siteverify({ secret: '2x0000000000000000000000000000000AA', response: DUMMY_TOKEN })).body['error-codes']).toEqual(['invalid-input-response'])
    expect((await siteverify({ secret: '3x0000000000000000000000000000000AA', response: DUMMY_TOKEN })).body['error-codes']).toEqual(['timeout-or-duplicate'])
  })

  it('serves the widget script and lets the page on another origin fetch a token (CORS)', async () => {
    sandbox = await startSandbox()
    const script = await call(sandbox.url, '/turnstile/v0/api.js')
    expect(script.status).toBe(200)
    expect(script.headers['content-type']).toMatch(/javascript/)
    expect(String(script.body)).toContain('window.turnstile')
    const res = await call(sandbox.url, '/turnstile/v0/token', {
      body: JSON.stringify({ sitekey: SANDBOX_SITEKEY, hostname: 'localhost' }),
      headers: { 'content-type': 'text/plain', origin: 'http://localhost:8787', 'sec-fetch-site': 'same-site' },
    })
    expect(res.status).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBe('*')
  })
})
