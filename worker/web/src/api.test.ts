import { describe, expect, it } from 'vitest'
import { ApiError, getApplication, getConfig, submitApplication } from './api.ts'
import type { ApplicationInput } from './api.ts'

const input: ApplicationInput = {
  name: 'Ann',
  company: 'Acme',
  email: 'ann@example.com',
  featureCode: 'ABCD',
  quantity: 1,
  validityDays: 30,
  locale: 'en',
  product: 'hypermotion',
}
const STATUS_URL = 'https://portal.example/status/app_1?t=tok'

function fakeFetch(status: number, body: unknown, seen: Request[] = []): typeof fetch {
  return async (url, init) => {
    seen.push(new Request(new URL(String(url), 'https://portal.example'), init))
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    return new Response(text, { status, headers: { 'Content-Type': 'application/json' } })
  }
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ApiError)
  return error as ApiError
}

describe('submitApplication', () => {
  it('posts the application as JSON and returns the created id and status link', async () => {
    const seen: Request[] = []
    const created = { id: 'app_1', status: 'pending_approval', statusUrl: STATUS_URL }
    const result = await submitApplication(input, { fetch: fakeFetch(201, created, seen) })
    expect(result).toEqual({ ...created, deferred: null, existing: false })
    expect(seen[0].method).toBe('POST')
    expect(new URL(seen[0].url).pathname).toBe('/api/applications')
    expect(seen[0].headers.get('content-type')).toBe('application/json')
    // The browser's time zone goes along, for the mails' times.
    expect(await seen[0].json()).toEqual({ ...input, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone })
  })

  it('sends the Idempotency-Key it is given, and none when it has none', async () => {
    const seen: Request[] = []
    const created = { id: 'app_1', status: 'pending_approval', statusUrl: STATUS_URL }
    await submitApplication(input, { fetch: fakeFetch(201, created, seen), idempotencyKey: 'k-1' })
    await submitApplication(input, { fetch: fakeFetch(201, created, seen) })
    expect(seen[0].headers.get('idempotency-key')).toBe('k-1')
    expect(seen[1].headers.has('idempotency-key')).toBe(false)
  })

  it('returns the first application when a retry under the same key is answered 200', async () => {
    const replayed = { id: 'app_1', status: 'submitted', statusUrl: STATUS_URL }
    const result = await submitApplication(input, { fetch: fakeFetch(200, replayed), idempotencyKey: 'k-1' })
    expect(result).toEqual({ ...replayed, deferred: null, existing: false })
  })

  it('turns 400 VALIDATION_FAILED into an ApiError with the field codes', async () => {
    const body = {
      error: { code: 'VALIDATION_FAILED', message: 'bad', fields: { email: 'INVALID_EMAIL' } },
    }
    const error = await rejection(submitApplication(input, { fetch: fakeFetch(400, body) }))
    expect(error.status).toBe(400)
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.fields).toEqual({ email: 'INVALID_EMAIL' })
    expect(error.body).toEqual(body)
  })

  it('treats 202 (saved, still being submitted) as a success with the id and status link', async () => {
    const saved = { id: 'app_1', status: 'submitted', statusUrl: STATUS_URL }
    const result = await submitApplication(input, { fetch: fakeFetch(202, saved) })
    expect(result).toEqual({ ...saved, deferred: 'SUBMITTING', existing: false })
  })

  it('treats 202 deferred (kept by the budgets) as a success reviewed later', async () => {
    const saved = { id: 'app_1', status: 'submitted', statusUrl: STATUS_URL }
    const result = await submitApplication(input, { fetch: fakeFetch(202, { ...saved, deferred: true }) })
    expect(result).toEqual({ ...saved, deferred: 'LATER', existing: false })
  })

  it("treats 200 existing as the applicant's pending application for this machine", async () => {
    // By its number only: the worker sends no status link with it.
    const pending = { id: 'app_9', status: 'pending_approval' }
    const result = await submitApplication(input, { fetch: fakeFetch(200, { ...pending, existing: true }) })
    expect(result).toEqual({ ...pending, statusUrl: '', deferred: null, existing: true })
  })

  it('reports 409 APPLICATION_PENDING and 429 TOO_MANY_PENDING by their codes, with no status link', async () => {
    const taken = { error: { code: 'APPLICATION_PENDING', message: 'x' }, existingId: 'app_8' }
    const error = await rejection(submitApplication(input, { fetch: fakeFetch(409, taken) }))
    expect(error.code).toBe('APPLICATION_PENDING')
    const busy = { error: { code: 'TOO_MANY_PENDING', message: 'x' } }
    expect((await rejection(submitApplication(input, { fetch: fakeFetch(429, busy) }))).code).toBe('TOO_MANY_PENDING')
  })

  it('treats 503 DINGTALK_UNAVAILABLE with an id as saved, approval deferred', async () => {
    const body = {
      error: { code: 'DINGTALK_UNAVAILABLE', message: 'later' },
      id: 'app_2',
      status: 'submitted',
      statusUrl: STATUS_URL,
    }
    const result = await submitApplication(input, { fetch: fakeFetch(503, body) })
    expect(result).toEqual({
      id: 'app_2',
      status: 'submitted',
      statusUrl: STATUS_URL,
      deferred: 'DINGTALK_UNAVAILABLE',
      existing: false,
    })
  })

  it('treats 502 DINGTALK_REJECTED with an id as saved, approval deferred', async () => {
    const body = { error: { code: 'DINGTALK_REJECTED' }, id: 'app_3', statusUrl: STATUS_URL }
    const result = await submitApplication(input, { fetch: fakeFetch(502, body) })
    expect(result.deferred).toBe('DINGTALK_REJECTED')
    expect(result.id).toBe('app_3')
  })

  it('throws a 503 DINGTALK_UNAVAILABLE that carries no id', async () => {
    const body = { error: { code: 'DINGTALK_UNAVAILABLE' } }
    const error = await rejection(submitApplication(input, { fetch: fakeFetch(503, body) }))
    expect(error.code).toBe('DINGTALK_UNAVAILABLE')
  })

  it('reports 413 and 429 by their codes', async () => {
    const tooLarge = { error: { code: 'PAYLOAD_TOO_LARGE' } }
    expect((await rejection(submitApplication(input, { fetch: fakeFetch(413, tooLarge) }))).code)
      .toBe('PAYLOAD_TOO_LARGE')
    const limited = { error: { code: 'RATE_LIMITED', message: 'slow down' } }
    const error = await rejection(submitApplication(input, { fetch: fakeFetch(429, limited) }))
    expect(error.status).toBe(429)
    expect(error.code).toBe('RATE_LIMITED')
  })

  it('names an answer without a coded JSON body by its HTTP status', async () => {
    const error = await rejection(
      submitApplication(input, { fetch: fakeFetch(500, '<html>oops</html>') }),
    )
    expect(error.code).toBe('HTTP_500')
    expect(error.body).toBeNull()
  })

  it('reports a fetch that fails as NETWORK_ERROR with status 0', async () => {
    const offline: typeof fetch = async () => {
      throw new TypeError('Failed to fetch')
    }
    const error = await rejection(submitApplication(input, { fetch: offline }))
    expect(error.status).toBe(0)
    expect(error.code).toBe('NETWORK_ERROR')
  })
})

describe('getConfig', () => {
  it('asks for the product named in the link', async () => {
    const seen: Request[] = []
    const config = { product: { id: 'hypermotion', name: 'HyperMotion' } }
    await getConfig('hyper motion', { fetch: fakeFetch(200, config, seen) })
    const url = new URL(seen[0].url)
    expect(url.pathname).toBe('/api/config')
    expect(url.searchParams.get('product')).toBe('hyper motion')
  })

  it('leaves the product out when the link had none', async () => {
    const seen: Request[] = []
    await getConfig(null, { fetch: fakeFetch(200, {}, seen) })
    expect(new URL(seen[0].url).search).toBe('')
  })

  it('reports an unknown product as 404 UNKNOWN_PRODUCT', async () => {
    const body = { error: { code: 'UNKNOWN_PRODUCT', message: 'no such product' } }
    const error = await rejection(getConfig('nope', { fetch: fakeFetch(404, body) }))
    expect(error.status).toBe(404)
    expect(error.code).toBe('UNKNOWN_PRODUCT')
  })
})

describe('getApplication', () => {
  it('sends the id and the access token, escaped', async () => {
    const seen: Request[] = []
    await getApplication('app/1', 'a+b', { fetch: fakeFetch(200, { id: 'app/1' }, seen) })
    const url = new URL(seen[0].url)
    expect(url.pathname).toBe('/api/applications/app%2F1')
    expect(url.searchParams.get('t')).toBe('a+b')
  })

  it('reports a wrong token as 404 NOT_FOUND', async () => {
    const body = { error: { code: 'NOT_FOUND', message: 'no' } }
    const error = await rejection(getApplication('x', 'y', { fetch: fakeFetch(404, body) }))
    expect(error.status).toBe(404)
    expect(error.code).toBe('NOT_FOUND')
  })
})
