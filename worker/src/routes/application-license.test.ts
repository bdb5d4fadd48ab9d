import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { BASE, call, eventRequest, finishEvent, readJson, row, rows, submit, tokenOf, validApplication } from '../../test/helpers.ts'
import { retryAfterMs } from '../applicant-resend.ts'

let fake: FakeUpstream
beforeEach(async () => {
  fake = new FakeUpstream()
  fake.install()
  await env.DB.batch(['alerts', 'alert_notices'].map((table) => env.DB.prepare(`DELETE FROM ${table}`)))
})
afterEach(() => {
  vi.restoreAllMocks()
})

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** Submits and approves an application: its license is issued and mailed. */
async function approved(overrides: Record<string, unknown> = {}) {
  const body = validApplication(overrides)
  const created = await readJson(await submit(body))
  const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id)
  await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, 'agree')))
  const license = await row<{ id: string; text: string }>('SELECT id, text FROM licenses WHERE application_id = ?1', created.id)
  return { id: created.id as string, token: tokenOf(created.statusUrl), email: body.email as string, license: license! }
}

const download = (id: string, token: string | null) =>
  call(new Request(`${BASE}/api/applications/${id}/license${token === null ? '' : `?t=${encodeURIComponent(token)}`}`))
const resend = (id: string, token: string, init: RequestInit = { method: 'POST' }) =>
  call(new Request(`${BASE}/api/applications/${id}/license/resend?t=${encodeURIComponent(token)}`, init))
const licenseMailsTo = (email: string) => fake.emails.filter((e) => e.payload.to === email && e.payload.attachments?.length)
const resendEvents = (id: string) =>
  rows<{ source: string; data: string }>(`SELECT source, data FROM events WHERE application_id = ?1 AND type = 'applicant.resend_requested'`, id)

describe('GET /api/applications/:id/license', () => {
  it('answers the stored license file as an attachment, not cached, with the security headers', async () => {
    const app = await approved()
    const response = await download(app.id, app.token)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/octet-stream')
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="hypermotion-${app.license.id}.lic"`)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('strict-transport-security')).toContain('max-age=')
    expect(await response.text()).toBe(app.license.text)
  })

  it('answers 404 NOT_FOUND, as the status route does, for a wrong or missing token and an unknown id', async () => {
    const app = await approved()
    const other = await approved()
    const status = await call(new Request(`${BASE}/api/applications/${app.id}?t=${other.token}`))
    const expected = await readJson(status)
    for (const response of [await download(app.id, other.token), await download(app.id, null), await download(app.id, ''), await download('LD-000000000000', app.token)]) {
      expect(response.status).toBe(404)
      expect(await readJson(response)).toEqual(expected)
    }
  })

  it('answers 404 NOT_FOUND before the license is issued', async () => {
    const created = await readJson(await submit(validApplication()))
    const response = await download(created.id, tokenOf(created.statusUrl))
    expect(response.status).toBe(404)
    expect((await readJson(response)).error.code).toBe('NOT_FOUND')
  })

  it('answers 410 LICENSE_REVOKED for a revoked license', async () => {
    const app = await approved()
    await env.DB.prepare(`UPDATE licenses SET revoked_at = ?2, revoked_by = 'ops@example.com', revocation_reason = 'test' WHERE id = ?1`).bind(app.license.id, Date.now()).run()
    const response = await download(app.id, app.token)
    expect(response.status).toBe(410)
    expect((await readJson(response)).error.code).toBe('LICENSE_REVOKED')
  })
})

describe('POST /api/applications/:id/license/resend', () => {
  it('queues one license mail to the address on file, records an api event, and answers 202', async () => {
    const app = await approved()
    expect(licenseMailsTo(app.email)).toHaveLength(1)
    const response = await resend(app.id, app.token)
    expect(response.status).toBe(202)
    expect(await readJson(response)).toEqual({ queued: true })
    const mails = licenseMailsTo(app.email)
    expect(mails).toHaveLength(2)
    expect(mails[1].payload.attachments![0].filename).toBe(`hypermotion-${app.license.id}.lic`)
    expect(mails[1].idempotencyKey).not.toBe(mails[0].idempotencyKey)
    const deliveries = await rows<{ kind: string; status: string; to_address: string | null }>(
      `SELECT kind, status, to_address FROM deliveries WHERE application_id = ?1 AND kind = 'license_resend'`,
      app.id,
    )
    expect(deliveries).toEqual([{ kind: 'license_resend', status: 'sent', to_address: null }])
    const events = await resendEvents(app.id)
    expect(events).toHaveLength(1)
    expect(events[0].source).toBe('api')
    expect(JSON.parse(events[0].data)).toMatchObject({ licenseId: app.license.id })
  })

  it('takes a JSON object body, refuses another body type with 415 and malformed JSON with 400', async () => {
    const app = await approved()
    expect((await resend(app.id, app.token, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' })).status).toBe(415)
    expect((await resend(app.id, app.token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' })).status).toBe(400)
    expect((await resend(app.id, app.token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(202)
    expect(await resendEvents(app.id)).toHaveLength(1)
  })

  it('limits a second request within 10 minutes with 429 RATE_LIMITED and Retry-After, mailing nothing more', async () => {
    const app = await approved()
    expect((await resend(app.id, app.token)).status).toBe(202)
    const again = await resend(app.id, app.token)
    expect(again.status).toBe(429)
    expect((await readJson(again)).error.code).toBe('RATE_LIMITED')
    const retryAfter = Number(again.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(590)
    expect(retryAfter).toBeLessThanOrEqual(601)
    expect(licenseMailsTo(app.email)).toHaveLength(2)
    expect(await resendEvents(app.id)).toHaveLength(1)
  })

  it('limits the sixth request of a day, counted from the events table', async () => {
    const app = await approved()
    const now = Date.now()
    // Four earlier requests today, the oldest 20 hours ago.
    for (const hoursAgo of [20, 15, 10, 5]) {
      await env.DB.prepare(
        `INSERT INTO events (id, application_id, type, source, created_at) VALUES (?1, ?2, 'applicant.resend_requested', 'api', ?3)`,
      ).bind(`EVT-TEST${crypto.randomUUID().slice(0, 12)}`, app.id, now - hoursAgo * HOUR).run()
    }
    expect((await resend(app.id, app.token)).status).toBe(202)
    const limited = await resend(app.id, app.token)
    expect(limited.status).toBe(429)
    // The day's window frees when the 20-hour-old request leaves it: in about 4 hours.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(4 * 3600 - 60)
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(4 * 3600 + 1)
  })

  it('answers 404 NOT_FOUND for a wrong token or before the license is issued, and 410 LICENSE_REVOKED for a revoked one', async () => {
    const app = await approved()
    const other = await approved()
    const wrong = await resend(app.id, other.token)
    expect(wrong.status).toBe(404)
    expect((await readJson(wrong)).error.code).toBe('NOT_FOUND')
    const pending = await readJson(await submit(validApplication()))
    expect((await resend(pending.id, tokenOf(pending.statusUrl))).status).toBe(404)
    await env.DB.prepare(`UPDATE licenses SET revoked_at = ?2, revoked_by = 'ops@example.com', revocation_reason = 'test' WHERE id = ?1`).bind(app.license.id, Date.now()).run()
    const revoked = await resend(app.id, app.token)
    expect(revoked.status).toBe(410)
    expect((await readJson(revoked)).error.code).toBe('LICENSE_REVOKED')
    expect(await resendEvents(app.id)).toHaveLength(0)
  })
})

describe('retryAfterMs', () => {
  const limits = [{ windowMs: 10 * MINUTE, max: 1 }, { windowMs: 24 * HOUR, max: 5 }]
  it('is 0 when every window has room, else the time until the oldest counted request leaves', () => {
    const now = 100 * HOUR
    expect(retryAfterMs([], now, limits)).toBe(0)
    expect(retryAfterMs([now - 11 * MINUTE], now, limits)).toBe(0)
    expect(retryAfterMs([now - 4 * MINUTE], now, limits)).toBe(6 * MINUTE + 1)
    expect(retryAfterMs([now - 23 * HOUR, now - 3 * HOUR, now - 2 * HOUR, now - HOUR, now - 30 * MINUTE], now, limits)).toBe(HOUR + 1)
  })
})
