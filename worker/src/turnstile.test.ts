import { describe, expect, it } from 'vitest'
import { idempotencyUuid, verifyTurnstile, type TurnstileOptions } from './turnstile.ts'

type Seen = { url: string; form: URLSearchParams }

function siteverify(answer: unknown, status = 200): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = []
  const fake = (async (url: string, init?: RequestInit) => {
    seen.push({ url, form: new URLSearchParams(String(init?.body)) })
    return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } })
  }) as typeof fetch
  return { fetch: fake, seen }
}

const options = (doFetch: typeof globalThis.fetch): TurnstileOptions => ({ verifyUrl: 'https://siteverify.test/v0/siteverify', secret: 's3cret', hostnames: ['licenses.test'], fetch: doFetch })
const OK = { success: true, hostname: 'licenses.test', action: 'apply', 'error-codes': [] }

describe('Turnstile verification', () => {
  it('accepts a token siteverify confirms for our hostname and the apply action, sending secret, ip and a UUID idempotency key', async () => {
    const { fetch, seen } = siteverify(OK)
    expect(await verifyTurnstile(options(fetch), { token: 'tok', remoteIp: '203.0.113.7', idempotencyKey: 'form-key-1' })).toEqual({ ok: true, hostname: 'licenses.test' })
    expect(seen[0].form.get('secret')).toBe('s3cret')
    expect(seen[0].form.get('response')).toBe('tok')
    expect(seen[0].form.get('remoteip')).toBe('203.0.113.7')
    expect(seen[0].form.get('idempotency_key')).toBe(await idempotencyUuid('form-key-1'))
    expect(seen[0].form.get('idempotency_key')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('derives the same idempotency key for the same submission key, another for another', async () => {
    expect(await idempotencyUuid('a')).toBe(await idempotencyUuid('a'))
    expect(await idempotencyUuid('a')).not.toBe(await idempotencyUuid('b'))
  })

  it('asks for a token when there is none, without calling siteverify', async () => {
    const { fetch, seen } = siteverify(OK)
    expect(await verifyTurnstile(options(fetch), { token: undefined })).toMatchObject({ ok: false, code: 'TURNSTILE_REQUIRED' })
    expect(await verifyTurnstile(options(fetch), { token: 'x'.repeat(2049) })).toMatchObject({ ok: false, code: 'TURNSTILE_FAILED' })
    expect(seen).toHaveLength(0)
  })

  it('refuses a spent, invalid or expired token, and one made for another hostname or action', async () => {
    for (const answer of [
      { success: false, 'error-codes': ['timeout-or-duplicate'] },
      { success: false, 'error-codes': ['invalid-input-response'] },
      { ...OK, hostname: 'evil.example' },
      { ...OK, action: 'login' },
    ]) {
      expect(await verifyTurnstile(options(siteverify(answer).fetch), { token: 'tok' }), JSON.stringify(answer)).toMatchObject({ ok: false, code: 'TURNSTILE_FAILED' })
    }
  })

  it('calls it unavailable, not the applicant\'s fault, when siteverify is down or refuses our secret', async () => {
    expect(await verifyTurnstile(options(siteverify({}, 500).fetch), { token: 'tok' })).toMatchObject({ ok: false, code: 'TURNSTILE_UNAVAILABLE' })
    expect(await verifyTurnstile(options(siteverify({ success: false, 'error-codes': ['invalid-input-secret'] }).fetch), { token: 'tok' })).toMatchObject({ ok: false, code: 'TURNSTILE_UNAVAILABLE' })
    const down = (async () => {
      throw new TypeError('fetch failed')
    }) as unknown as typeof fetch
    expect(await verifyTurnstile(options(down), { token: 'tok' })).toMatchObject({ ok: false, code: 'TURNSTILE_UNAVAILABLE' })
  })
})
