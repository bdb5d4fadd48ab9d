import { Resend } from 'resend'
import { afterEach, describe, expect, it } from 'vitest'
import { call, startSandbox, type TestSandbox } from './test-support.ts'

let sandbox: TestSandbox
afterEach(async () => {
  await sandbox?.close()
})

function client(key = 're_test_123') {
  return new Resend(key, { baseUrl: sandbox.url })
}

const MAIL = { from: 'Licenses <licenses@example.com>', to: 'alice@example.com', subject: 'Your license', html: '<p>Hi</p>', text: 'Hi' }

describe('Resend-compatible mailbox via the resend SDK', () => {
  it('accepts an email and answers { data: { id }, error: null }', async () => {
    sandbox = await startSandbox()
    const result = await client().emails.send({ ...MAIL, cc: ['bob@example.com'], replyTo: 'help@example.com', headers: { 'X-Entity-Ref': 'a1' }, tags: [{ name: 'kind', value: 'license' }] })
    expect(result.error).toBeNull()
    expect(result.data?.id).toMatch(/^[0-9a-f-]{36}$/)
    const { body } = await call(sandbox.url, '/_sandbox/emails')
    expect(body.data).toEqual([
      expect.objectContaining({
        id: result.data?.id,
        from: MAIL.from,
        to: ['alice@example.com'],
        cc: ['bob@example.com'],
        reply_to: ['help@example.com'],
        subject: 'Your license',
        html: '<p>Hi</p>',
        text: 'Hi',
        headers: { 'X-Entity-Ref': 'a1' },
        tags: [{ name: 'kind', value: 'license' }],
        attachments: [],
        idempotency_key: null,
        created_at: expect.stringMatching(/Z$/),
      }),
    ])
  })

  it('keeps attachments byte for byte and serves them for download', async () => {
    sandbox = await startSandbox()
    const bytes = Buffer.from('-----BEGIN LICENSE-----\nabc\n-----END LICENSE-----\n\u0000\u00ff', 'latin1')
    const result = await client().emails.send({ ...MAIL, attachments: [{ filename: '许可证 license.lic', content: bytes, contentType: 'application/x-license' }] })
    expect(result.error).toBeNull()
    const { body } = await call(sandbox.url, '/_sandbox/emails')
    const attachment = body.data[0].attachments[0]
    expect(attachment).toMatchObject({ filename: '许可证 license.lic', content_type: 'application/x-license' })
    expect(Buffer.from(attachment.content, 'base64').equals(bytes)).toBe(true)

    const download = await fetch(`${sandbox.url}/_sandbox/emails/${result.data?.id}/attachments/0`)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/x-license')
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="___ license.lic"; filename*=UTF-8''${encodeURIComponent('许可证 license.lic')}`,
    )
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true)
    expect((await fetch(`${sandbox.url}/_sandbox/emails/${result.data?.id}/attachments/1`)).status).toBe(404)
  })

  it('replays the first answer for the same Idempotency-Key and payload without a second email', async () => {
    sandbox = await startSandbox()
    const first = await client().emails.send(MAIL, { idempotencyKey: 'delivery/1' })
    const second = await client().emails.send({ ...MAIL }, { idempotencyKey: 'delivery/1' })
    expect(first.error).toBeNull()
    expect(second).toMatchObject({ data: { id: first.data?.id }, error: null })
    expect(sandbox.state.emails).toHaveLength(1)
    expect(sandbox.state.emails[0].idempotency_key).toBe('delivery/1')
  })

  it('answers 409 invalid_idempotent_request for the same key with another payload', async () => {
    sandbox = await startSandbox()
    await client().emails.send(MAIL, { idempotencyKey: 'delivery/2' })
    const other = await client().emails.send({ ...MAIL, subject: 'Changed' }, { idempotencyKey: 'delivery/2' })
    expect(other.data).toBeNull()
    expect(other.error).toMatchObject({ statusCode: 409, name: 'invalid_idempotent_request' })
    expect(sandbox.state.emails).toHaveLength(1)
  })

  it('answers 409 concurrent_idempotent_requests while the first request is in flight', async () => {
    sandbox = await startSandbox()
    await call(sandbox.url, '/_sandbox/faults', { body: { mailDelayMs: 300 } })
    const [a, b] = await Promise.all([
      client().emails.send(MAIL, { idempotencyKey: 'delivery/3' }),
      new Promise((done) => setTimeout(done, 50)).then(() => client().emails.send(MAIL, { idempotencyKey: 'delivery/3' })),
    ])
    expect(a.error).toBeNull()
    expect(b.error).toMatchObject({ statusCode: 409, name: 'concurrent_idempotent_requests' })
    expect(sandbox.state.emails).toHaveLength(1)
  })

  it('rejects an Idempotency-Key over 256 characters with 400 invalid_idempotency_key', async () => {
    sandbox = await startSandbox()
    const result = await client().emails.send(MAIL, { idempotencyKey: 'k'.repeat(257) })
    expect(result.error).toMatchObject({ statusCode: 400, name: 'invalid_idempotency_key', message: 'The key must be between 1-256 chars.' })
    expect((await client().emails.send(MAIL, { idempotencyKey: 'k'.repeat(256) })).error).toBeNull()
  })

  it('lets a key be used again after its request failed validation', async () => {
    sandbox = await startSandbox()
    const { subject: _, ...noSubject } = MAIL
    expect((await client().emails.send(noSubject as typeof MAIL, { idempotencyKey: 'delivery/4' })).error?.name).toBe('missing_required_field')
    expect((await client().emails.send(MAIL, { idempotencyKey: 'delivery/4' })).error).toBeNull()
  })

  it.each([
    ['a missing from', { from: undefined }, 'missing_required_field', 'Missing `from` field.'],
    ['a malformed from', { from: 'not an address' }, 'validation_error', 'Invalid `from` field.'],
    ['a missing to', { to: undefined }, 'missing_required_field', 'Missing `to` field.'],
    ['a malformed to', { to: ['ok@example.com', 'bad@'] }, 'validation_error', 'Invalid `to` field.'],
    ['51 recipients', { to: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) }, 'validation_error', 'at most 50'],
    ['a missing subject', { subject: undefined }, 'missing_required_field', 'Missing `subject` field.'],
    ['no html or text', { html: undefined, text: undefined }, 'missing_required_field', 'Missing `html` or `text` field.'],
    ['a bad tag', { tags: [{ name: 'bad tag', value: 'x' }] }, 'validation_error', 'Tags should only contain'],
    ['an attachment without content or path', { attachments: [{ filename: 'a.txt' }] }, 'invalid_attachment', 'Attachment must have either'],
    ['an attachment that is not base64', { attachments: [{ filename: 'a.txt', content: 'not base64!' }] }, 'invalid_attachment', 'base64'],
  ])('rejects %s with 422 %s', async (_what, patch, name, message) => {
    sandbox = await startSandbox()
    const result = await client().emails.send({ ...MAIL, ...patch } as typeof MAIL)
    expect(result.data).toBeNull()
    expect(result.error).toMatchObject({ statusCode: 422, name })
    expect(result.error?.message).toContain(message)
    expect(sandbox.state.emails).toHaveLength(0)
  })

  it('accepts text only, a plain address and up to 50 recipients', async () => {
    sandbox = await startSandbox()
    const to = Array.from({ length: 50 }, (_, i) => `u${i}@example.com`)
    const result = await client().emails.send({ from: 'licenses@example.com', to, subject: 's', text: 't' })
    expect(result.error).toBeNull()
  })

  it('answers 401 missing_api_key without an Authorization header', async () => {
    sandbox = await startSandbox()
    const res = await call(sandbox.url, '/emails', { body: MAIL })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({
      statusCode: 401,
      name: 'missing_api_key',
      message: 'Missing API key in the authorization header. Include the following header: Authorization: Bearer YOUR_API_KEY in the request.',
    })
  })

  it('answers 403 invalid_api_key for a key it does not accept', async () => {
    sandbox = await startSandbox()
    expect((await client('sk_live_nope').emails.send(MAIL)).error).toEqual({ statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid' })
    await sandbox.close()
    sandbox = await startSandbox({ mail: { apiKeys: ['re_only_this'] } })
    expect((await client('re_test_123').emails.send(MAIL)).error?.name).toBe('invalid_api_key')
    expect((await client('re_only_this').emails.send(MAIL)).error).toBeNull()
  })

  it('answers 429 rate_limit_exceeded with retry-after past 2 requests per second', async () => {
    sandbox = await startSandbox({ mail: { rateLimit: 2 } })
    const results = await Promise.all([1, 2, 3].map(() => client().emails.send(MAIL)))
    const limited = results.filter((result) => result.error)
    expect(limited).toHaveLength(1)
    expect(limited[0].error).toMatchObject({ statusCode: 429, name: 'rate_limit_exceeded' })
    expect(limited[0].headers?.['retry-after']).toBe('1')
    expect(limited[0].headers?.['ratelimit-limit']).toBe('2')
    await new Promise((done) => setTimeout(done, 1_050))
    expect((await client().emails.send(MAIL)).error).toBeNull()
  })

  it('answers the next N sends 429 with the retry-after that mailThrottled and mailRetryAfterSeconds set', async () => {
    sandbox = await startSandbox({ mail: { rateLimit: 0 } })
    await call(sandbox.url, '/_sandbox/faults', { body: { mailThrottled: 2, mailRetryAfterSeconds: 7 } })
    const first = await client().emails.send(MAIL)
    const second = await client().emails.send(MAIL)
    for (const result of [first, second]) {
      expect(result.error).toMatchObject({ statusCode: 429, name: 'rate_limit_exceeded' })
      expect(result.headers?.['retry-after']).toBe('7')
    }
    expect((await client().emails.send(MAIL)).error).toBeNull()
    expect(sandbox.state.emails).toHaveLength(1)
  })

  it('refuses the recipients of mailRejectTo with 422 validation_error, keeps nothing, and sends to others', async () => {
    sandbox = await startSandbox({ mail: { rateLimit: 0 } })
    await call(sandbox.url, '/_sandbox/faults', { body: { mailRejectTo: [String(MAIL.to)] } })
    const refused = await client().emails.send(MAIL, { idempotencyKey: 'delivery/9' })
    expect(refused.error).toMatchObject({ statusCode: 422, name: 'validation_error' })
    expect(sandbox.state.emails).toHaveLength(0)
    expect((await client().emails.send({ ...MAIL, to: 'someone-else@example.org' })).error).toBeNull()
    expect(sandbox.state.emails).toHaveLength(1)
  })

  it('fails the next N sends with 500 application_error when mailFailures is set', async () => {
    sandbox = await startSandbox()
    await call(sandbox.url, '/_sandbox/faults', { body: { mailFailures: 1 } })
    const failed = await client().emails.send(MAIL, { idempotencyKey: 'delivery/5' })
    expect(failed.error).toMatchObject({ statusCode: 500, name: 'application_error' })
    const retried = await client().emails.send(MAIL, { idempotencyKey: 'delivery/5' })
    expect(retried.error).toBeNull()
    expect(sandbox.state.emails).toHaveLength(1)
  })

  it('serves GET /emails/:id like Resend', async () => {
    sandbox = await startSandbox()
    const sent = await client().emails.send(MAIL)
    const got = await client().emails.get(sent.data!.id)
    expect(got.error).toBeNull()
    expect(got.data).toMatchObject({ object: 'email', id: sent.data?.id, to: ['alice@example.com'], subject: 'Your license', last_event: 'delivered' })
    expect((await client().emails.get('00000000-0000-0000-0000-000000000000')).error).toMatchObject({ statusCode: 404, name: 'not_found' })
  })

  it('answers other methods and paths with Resend errors', async () => {
    sandbox = await startSandbox()
    expect((await call(sandbox.url, '/emails', { method: 'PUT', body: MAIL })).body.name).toBe('method_not_allowed')
    expect((await call(sandbox.url, '/emails/a/b')).body).toMatchObject({ statusCode: 404, name: 'not_found' })
  })

  it('clears the mailbox on DELETE /_sandbox/emails', async () => {
    sandbox = await startSandbox()
    await client().emails.send(MAIL)
    const res = await call(sandbox.url, '/_sandbox/emails', { method: 'DELETE' })
    expect(res.body.data).toEqual({ deleted: 1 })
    expect((await call(sandbox.url, '/_sandbox/emails')).body.data).toEqual([])
  })
})
