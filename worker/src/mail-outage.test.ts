import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../test/fake-upstream.ts'
import { call, eventRequest, finishEvent, readJson, row, rows, runCron, submit, validApplication } from '../test/helpers.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const MINUTE = 60_000
// Fast pacing keeps the test short; the shape (outage, then throttling, then OK) is the point.
const bindings = { ...env, MAIL_RATE_PER_SECOND: '20' }

describe('outbox: a mail outage while 20 applications are approved', () => {
  it('delivers every email exactly once after 5xx answers, then 429 with retry-after (the 75 s outage that used to give 6 up)', async () => {
    const apps: { id: string; email: string }[] = []
    for (let i = 0; i < 20; i++) {
      const body = validApplication()
      const created = await readJson(await submit(body))
      const instanceId = (await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id))!
        .dingtalk_instance_id
      apps.push({ id: created.id, email: body.email as string })
      // Resend answers 500 for the approvals' immediate sends and a while after.
      fake.mailFailures = 1_000
      await call(await eventRequest(finishEvent(instanceId, 'agree')), bindings)
    }
    const start = Date.now()
    // Still down for the next runs (75 s and more): each run stops at its first 5xx.
    await runCron(start + MINUTE, bindings)
    await runCron(start + 2 * MINUTE, bindings)
    // Back, but throttling: a 429 with retry-after 2 s, then everything is accepted.
    fake.mailFailures = 0
    fake.mailErrors.push({ statusCode: 429, name: 'rate_limit_exceeded', retryAfter: 2 })
    await runCron(start + 3 * MINUTE, bindings)
    await runCron(start + 4 * MINUTE, bindings)

    const ids = apps.map((a) => a.id)
    const deliveries = await rows<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM deliveries WHERE application_id IN (${ids.map((_, i) => `?${i + 1}`).join(',')})`,
      ...ids,
    )
    expect(deliveries.filter((d) => d.status !== 'sent')).toEqual([])
    for (const app of apps) expect(fake.emails.filter((e) => e.payload.to === app.email), app.id).toHaveLength(1)
    // A run that saw a 5xx stopped sending: the outage cost one attempt per run, not one per email.
    const during = fake.mailAttempts.filter((a) => a.status === 500 && a.idempotencyKey?.startsWith('delivery/')).length
    expect(during).toBe(20 + 2)
  })
})
