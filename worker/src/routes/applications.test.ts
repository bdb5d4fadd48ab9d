import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { deriveStatusToken, importStatusTokenKey } from '../status-token.ts'
import { alertOf, BASE, call, readJson, row, rows, runCron, submit, tokenOf, validApplication } from '../../test/helpers.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const getStatus = (id: string, token?: string) =>
  call(new Request(`${BASE}/api/applications/${id}${token === undefined ? '' : `?t=${encodeURIComponent(token)}`}`))

describe('POST /api/applications', () => {
  it('stores the application, creates the DingTalk instance and answers 201 with a working statusUrl', async () => {
    const body = validApplication({ name: 'Han Meimei', note: '' })
    const response = await submit(body)
    expect(response.status).toBe(201)
    const created = await readJson(response)
    expect(created).toEqual({ id: expect.stringMatching(/^LD-[0-9A-Z]{12}$/), status: 'pending_approval', statusUrl: expect.any(String) })
    expect(created.statusUrl).toMatch(new RegExp(`^http://localhost:8787/status/${created.id}\\?t=[A-Za-z0-9_-]{43}$`))

    const [instance] = [...fake.instances.values()]
    expect(instance.body).toMatchObject({ processCode: 'PROC-LICENSEDESK-DEV', originatorUserId: 'licensedesk-bot', deptId: -1 })
    const form = Object.fromEntries(instance.body.formComponentValues.map((v) => [v.name, v.value]))
    expect(form).toEqual({
      申请编号: created.id,
      产品: 'HyperMotion (hypermotion)',
      特征码: body.featureCode,
      数量: '5',
      '有效期(天)': '90',
      姓名: 'Han Meimei',
      公司: 'Example Co.',
      邮箱: body.email,
      电话: '+86 138 0000 0000',
      备注: '-',
    })
    expect(instance.body.formComponentValues.every((v) => typeof v.value === 'string')).toBe(true)
    expect(fake.relayCalls).toEqual([
      { proxy: 'http://localhost:8788', method: 'POST', target: '/relay/api/v1.0/workflow/processInstances', requestId: expect.any(String), proofError: null },
    ])

    const stored = await row<{ status: string; access_token_hash: string; dingtalk_instance_id: string }>(
      'SELECT * FROM applications WHERE id = ?1',
      created.id,
    )
    expect(stored).toMatchObject({ status: 'pending_approval', dingtalk_instance_id: instance.id })
    // The token is derived from STATUS_TOKEN_SECRET; nothing of it is stored.
    expect(stored!.access_token_hash).toBe('derived:status-token:v1')
    expect(JSON.stringify(stored)).not.toContain(tokenOf(created.statusUrl))
    const key = await importStatusTokenKey(env.STATUS_TOKEN_SECRET)
    expect(tokenOf(created.statusUrl)).toBe(await deriveStatusToken(key, created.id))

    const view = await getStatus(created.id, tokenOf(created.statusUrl))
    expect(view.status).toBe(200)
    expect(view.headers.get('cache-control')).toBe('no-store')
    expect(await readJson(view)).toEqual({
      id: created.id,
      status: 'pending_approval',
      deferred: false,
      product: 'hypermotion',
      featureCode: body.featureCode,
      quantity: 5,
      validityDays: 90,
      name: 'Han Meimei',
      company: 'Example Co.',
      email: body.email,
      locale: 'en',
      // None sent: UTC for an English applicant (time-zone.ts).
      timeZone: 'UTC',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      timeline: [
        { status: 'submitted', at: expect.any(String) },
        { status: 'pending_approval', at: expect.any(String) },
      ],
      license: null,
    })
  })

  it('answers 404 NOT_FOUND for the status without a token, with a wrong token, or for an unknown id', async () => {
    const created = await readJson(await submit(validApplication()))
    const token = tokenOf(created.statusUrl)
    for (const response of [
      await getStatus(created.id),
      await getStatus(created.id, ''),
      await getStatus(created.id, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
      await getStatus('LD-000000000000', token),
    ]) {
      expect(response.status).toBe(404)
      expect((await readJson(response)).error.code).toBe('NOT_FOUND')
    }
  })

  it('answers 404 NOT_FOUND for the token of another application, or one made with another secret', async () => {
    const first = await readJson(await submit(validApplication()))
    const second = await readJson(await submit(validApplication()))
    const foreignKey = await importStatusTokenKey(`${env.STATUS_TOKEN_SECRET}-old`)
    for (const response of [
      await getStatus(first.id, tokenOf(second.statusUrl)),
      await getStatus(second.id, tokenOf(first.statusUrl)),
      await getStatus(first.id, await deriveStatusToken(foreignKey, first.id)),
    ]) {
      expect(response.status).toBe(404)
      expect((await readJson(response)).error.code).toBe('NOT_FOUND')
    }
  })

  it('answers 400 VALIDATION_FAILED with a code per field', async () => {
    const response = await submit(validApplication({ name: '', email: 'nope', quantity: 0, validityDays: 7, product: 'x', featureCode: '特征码' }))
    expect(response.status).toBe(400)
    expect(await readJson(response)).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: expect.any(String),
        fields: {
          name: 'REQUIRED',
          email: 'INVALID_EMAIL',
          quantity: 'OUT_OF_RANGE',
          validityDays: 'NOT_ALLOWED',
          product: 'NOT_ALLOWED',
          featureCode: 'INVALID_FORMAT',
        },
      },
    })
    expect(fake.relayCalls).toHaveLength(0)
  })

  it('answers 415 UNSUPPORTED_MEDIA_TYPE for a body that is not declared JSON', async () => {
    const response = await submit(JSON.stringify(validApplication()), { 'content-type': 'text/plain' })
    expect(response.status).toBe(415)
    expect((await readJson(response)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers 400 INVALID_JSON for malformed JSON or a non-object', async () => {
    for (const body of ['{"name":', '[1,2]', '"text"', 'null']) {
      const response = await submit(body)
      expect(response.status, body).toBe(400)
      expect((await readJson(response)).error.code).toBe('INVALID_JSON')
    }
  })

  it('answers 400 INVALID_ENCODING for a body that is not UTF-8 (a lone continuation byte, an overlong sequence) and stores nothing', async () => {
    const before = (await rows('SELECT id FROM applications')).length
    const json = new TextEncoder().encode(JSON.stringify(validApplication({ name: 'XX' })))
    const at = new TextDecoder().decode(json).indexOf('XX')
    for (const bad of [[0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf]]) {
      const body = new Uint8Array([...json.slice(0, at), ...bad, ...json.slice(at + 2)])
      const response = await submit(body)
      expect(response.status, String(bad)).toBe(400)
      expect(await readJson(response)).toEqual({ error: { code: 'INVALID_ENCODING', message: 'the body is not valid UTF-8' } })
    }
    expect(await rows('SELECT id FROM applications')).toHaveLength(before)
    expect(fake.relayCalls).toHaveLength(0)
  })

  it('accepts Chinese phone formats and full-width digits, storing the ASCII forms', async () => {
    const response = await submit(validApplication({ phone: '＋８６ 138 0013 8000 转 801', quantity: '２５' }))
    expect(response.status).toBe(201)
    const { id } = await readJson(response)
    expect(await row('SELECT phone, quantity FROM applications WHERE id = ?1', id)).toEqual({ phone: '+86 138 0013 8000 转 801', quantity: 25 })
  })

  it('accepts a 159-character feature code under the default pattern, and refuses 257', async () => {
    const code = `HM${'0123456789ABCDEF'.repeat(10)}`.slice(0, 159)
    expect((await submit(validApplication({ featureCode: code }))).status).toBe(201)
    const long = await readJson(await submit(validApplication({ featureCode: 'A'.repeat(257) })))
    expect(long.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { featureCode: 'TOO_LONG' } })
  })

  it('answers 413 PAYLOAD_TOO_LARGE past 16 KB', async () => {
    const response = await submit(validApplication({ note: 'x'.repeat(17 * 1024) }))
    expect(response.status).toBe(413)
    expect((await readJson(response)).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('answers 429 RATE_LIMITED once a client exceeds the per-minute limit', async () => {
    const ip = { 'cf-connecting-ip': '192.0.2.77' }
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await submit({}, ip)).status)
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true)
    const limited = await submit({}, ip)
    expect(limited.status).toBe(429)
    expect((await readJson(limited)).error.code).toBe('RATE_LIMITED')
  })

  it('keeps the application when no proxy relays (502 UPSTREAM_UNREACHABLE), answers 202 and submits it from cron at the next run', async () => {
    fake.dingtalk = 'unreachable'
    const response = await submit(validApplication())
    expect(response.status).toBe(202)
    const body = await readJson(response)
    expect(body).toEqual({ id: expect.stringMatching(/^LD-/), status: 'submitted', statusUrl: expect.stringContaining(`/status/${body.id}?t=`) })
    const saved = await row<{ status: string; submit_attempts: number; next_submit_at: number; created_at: number }>(
      'SELECT * FROM applications WHERE id = ?1',
      body.id,
    )
    // Nothing reached DingTalk: no attempt counted, due at the next run.
    expect(saved).toMatchObject({ status: 'submitted', submit_attempts: 0 })
    expect(saved!.next_submit_at - saved!.created_at).toBe(0)

    const view = await readJson(await getStatus(body.id, tokenOf(body.statusUrl)))
    expect(view.status).toBe('submitted')

    await runCron(saved!.created_at + 1_000)
    expect(fake.instances.size).toBe(0)
    const retried = await row<{ submit_attempts: number; next_submit_at: number }>('SELECT * FROM applications WHERE id = ?1', body.id)
    // The back-off does not grow while no proxy relays: due again at the next run.
    expect(retried).toMatchObject({ submit_attempts: 0, next_submit_at: saved!.created_at + 1_000 })

    fake.dingtalk = 'up'
    await runCron(saved!.created_at + 61_000)
    const after = await row<{ status: string; dingtalk_instance_id: string }>('SELECT * FROM applications WHERE id = ?1', body.id)
    expect(after?.status).toBe('pending_approval')
    expect(fake.instances.has(after!.dingtalk_instance_id)).toBe(true)
  })

  it('answers 202 with the saved application on a DingTalk business error, retries from cron, then fails with an event', async () => {
    fake.createError = { status: 400, code: 'processCodeError', message: '模板不存在' }
    const errors = vi.spyOn(console, 'error')
    const response = await submit(validApplication())
    expect(response.status).toBe(202)
    const body = await readJson(response)
    expect(body).toEqual({ id: expect.any(String), status: 'submitted', statusUrl: expect.any(String) })
    const saved = await row<{ last_error: string; created_at: number }>('SELECT * FROM applications WHERE id = ?1', body.id)
    expect(saved?.last_error).toContain('processCodeError')

    let time = saved!.created_at
    for (let i = 0; i < 8; i++) {
      time += 61 * 60_000
      await runCron(time)
    }
    const failed = await row<{ status: string; submit_attempts: number }>('SELECT * FROM applications WHERE id = ?1', body.id)
    expect(failed).toMatchObject({ status: 'failed', submit_attempts: 6 })
    const events = await rows<{ type: string; to_status: string | null }>(
      'SELECT type, to_status FROM events WHERE application_id = ?1 ORDER BY created_at, rowid',
      body.id,
    )
    expect(events.at(-1)).toEqual({ type: 'dingtalk.submit_gave_up', to_status: 'failed' })
    expect(await alertOf('APPLICATION_FAILED', body.id)).toMatchObject({ state: 'firing', fires: 1, occurrences: 1 })
  })
})

describe('GET /api/config', () => {
  it('describes the default product and the form rules', async () => {
    const response = await call(new Request(`${BASE}/api/config`))
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({
      product: { id: 'hypermotion', name: 'HyperMotion' },
      validityDays: [30, 90, 180, 365],
      quantity: { min: 1, max: 10000 },
      featureCodePattern: env.FEATURE_CODE_PATTERN,
      locales: ['zh-CN', 'en'],
      vendor: {
        name: env.VENDOR_NAME,
        supportEmail: env.SUPPORT_EMAIL,
        supportPhone: env.SUPPORT_PHONE,
        privacyUrl: env.PRIVACY_URL,
        logoUrl: null,
        footer: env.VENDOR_FOOTER,
      },
      turnstile: null,
    })
  })

  it('answers 404 UNKNOWN_PRODUCT for a product it does not sell', async () => {
    const response = await call(new Request(`${BASE}/api/config?product=othermotion`))
    expect(response.status).toBe(404)
    expect((await readJson(response)).error.code).toBe('UNKNOWN_PRODUCT')
  })
})

describe('GET /api/health', () => {
  it('answers 200 { status: "ok" } when config and D1 are fine', async () => {
    const response = await call(new Request(`${BASE}/api/health`))
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ status: 'ok' })
  })
})

describe('the error boundary', () => {
  it('answers 404 NOT_FOUND as JSON for an unknown API path', async () => {
    const response = await call(new Request(`${BASE}/api/nothing-here`))
    expect(response.status).toBe(404)
    expect(await readJson(response)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } })
  })

  it('answers 500 CONFIG_INVALID for a bad variable, naming it in the log but not in the answer', async () => {
    const errors = vi.spyOn(console, 'error')
    const response = await call(new Request(`${BASE}/api/config`), { ...env, QUANTITY_MAX: 'lots' })
    expect(response.status).toBe(500)
    expect(await readJson(response)).toEqual({ error: { code: 'CONFIG_INVALID', message: 'the service is misconfigured' } })
    const logged = errors.mock.calls.map(([line]) => String(line)).join('\n')
    expect(logged).toContain('QUANTITY_MAX')
    expect(logged).not.toContain('lots')
  })

  it('answers 500 CONFIG_INVALID when STATUS_TOKEN_SECRET is shorter than 32 characters, naming it in the log', async () => {
    const errors = vi.spyOn(console, 'error')
    const short = 'only-31-characters-long-secret!'
    const response = await call(new Request(`${BASE}/api/config`), { ...env, STATUS_TOKEN_SECRET: short })
    expect(response.status).toBe(500)
    expect((await readJson(response)).error.code).toBe('CONFIG_INVALID')
    const logged = errors.mock.calls.map(([line]) => String(line)).join('\n')
    expect(logged).toContain('STATUS_TOKEN_SECRET')
    expect(logged).not.toContain(short)
  })

  it('never leaks secrets when a key is unusable', async () => {
    const errors = vi.spyOn(console, 'error')
    const response = await call(new Request(`${BASE}/api/config`), { ...env, LICENSE_PRIVATE_JWK: '{"kty":"OKP","crv":"Ed25519","x":"abc","d":"s3cr3t"}' })
    expect(response.status).toBe(500)
    const logged = errors.mock.calls.map(([line]) => String(line)).join('\n')
    expect(logged).toContain('LICENSE_PRIVATE_JWK')
    expect(logged).not.toContain('s3cr3t')
  })
})
