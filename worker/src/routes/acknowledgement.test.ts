import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { alertOf, readJson, row, rows, submit, validApplication } from '../../test/helpers.ts'

let fake: FakeUpstream
beforeEach(async () => {
  fake = new FakeUpstream()
  fake.install()
  await env.DB.batch(['alerts', 'alert_notices'].map((table) => env.DB.prepare(`DELETE FROM ${table}`)))
})
afterEach(() => {
  vi.restoreAllMocks()
})

const acksTo = (email: unknown) => fake.acknowledgements.filter((e) => e.payload.to === email)
const ackDeliveries = (id: string) =>
  rows<{ id: string; status: string }>(`SELECT id, status FROM deliveries WHERE application_id = ?1 AND kind = 'acknowledgement'`, id)

describe('the acknowledgement mail at submission', () => {
  it('goes out once in English with the number, product, feature code, the status link and what happens next', async () => {
    const body = validApplication({ locale: 'en', name: 'Li <Lei>' })
    const response = await submit(body)
    expect(response.status).toBe(201)
    const created = await readJson(response)
    const [mail, ...more] = acksTo(body.email)
    expect(more).toEqual([])
    expect(mail.payload.subject).toBe(`We received your HyperMotion license request ${created.id}`)
    for (const part of [mail.payload.text, mail.payload.html]) {
      expect(part).toContain(created.id)
      expect(part).toContain('HyperMotion')
      expect(part).toContain(body.featureCode as string)
      expect(part).toContain('What happens next')
    }
    expect(mail.payload.text).toContain(created.statusUrl)
    expect(mail.payload.html).toContain(`href="${created.statusUrl.replaceAll('&', '&amp;')}"`)
    expect(mail.payload.html).toContain('Li &lt;Lei&gt;')
    expect(mail.payload.attachments ?? []).toEqual([])
    const [delivery] = await ackDeliveries(created.id)
    expect(delivery.status).toBe('sent')
    expect(mail.idempotencyKey).toBe(`delivery/${delivery.id}`)
    // The status stays what the submission made it.
    const events = await rows<{ type: string }>(`SELECT type FROM events WHERE application_id = ?1 AND to_status IS NOT NULL`, created.id)
    expect(events.map((e) => e.type)).toEqual(['application.submitted', 'dingtalk.instance_created'])
  })

  it('is in Chinese for a zh-CN applicant', async () => {
    const body = validApplication({ locale: 'zh-CN' })
    const created = await readJson(await submit(body))
    const [mail] = acksTo(body.email)
    expect(mail.payload.subject).toBe(`我们已收到您的 HyperMotion 许可证申请 ${created.id}`)
    expect(mail.payload.text).toContain('接下来')
    expect(mail.payload.text).toContain('专属链接')
    expect(mail.payload.text).toContain(created.statusUrl)
  })

  it('is sent once when the submit is retried with the same Idempotency-Key', async () => {
    const body = validApplication()
    const key = crypto.randomUUID()
    const first = await readJson(await submit(body, { 'idempotency-key': key }))
    const again = await submit(body, { 'idempotency-key': key })
    expect(again.status).toBe(200)
    expect((await readJson(again)).id).toBe(first.id)
    expect(acksTo(body.email)).toHaveLength(1)
    expect(await ackDeliveries(first.id)).toHaveLength(1)
  })

  it('also goes out for a 202 (saved, DingTalk unreachable)', async () => {
    fake.dingtalk = 'proxy-down'
    const body = validApplication()
    const response = await submit(body)
    expect(response.status).toBe(202)
    expect(acksTo(body.email)).toHaveLength(1)
  })

  it('never fails the submission: a Resend outage answers 201 and leaves the mail pending for cron', async () => {
    fake.acknowledgementsLikeOthers = true
    fake.mailFailures = 1
    const body = validApplication()
    const response = await submit(body)
    expect(response.status).toBe(201)
    const created = await readJson(response)
    expect(await ackDeliveries(created.id)).toEqual([{ id: expect.any(String), status: 'pending' }])
  })

  it('given up on a permanent Resend error: the delivery fails with a MAIL_FAILED alert, the application stays as it was', async () => {
    fake.acknowledgementsLikeOthers = true
    fake.mailErrors.push({ statusCode: 422, name: 'validation_error' })
    const response = await submit(validApplication())
    expect(response.status).toBe(201)
    const created = await readJson(response)
    const [delivery] = await ackDeliveries(created.id)
    expect(delivery.status).toBe('failed')
    expect(await alertOf('MAIL_FAILED', delivery.id)).toMatchObject({ state: 'firing' })
    expect(await alertOf('APPLICATION_FAILED', created.id)).toBeNull()
    expect(await row('SELECT status FROM applications WHERE id = ?1', created.id)).toEqual({ status: 'pending_approval' })
  })
})
