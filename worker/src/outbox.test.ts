import { NEXT_RUN_MS } from './backoff.ts'
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { FakeUpstream } from '../test/fake-upstream.ts'
import { alertOf, call, eventRequest, finishEvent, noticesOf, readJson, row, rows, runCron, submit, validApplication } from '../test/helpers.ts'

let fake: FakeUpstream
let errors: MockInstance<typeof console.error>
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
  errors = vi.spyOn(console, 'error')
})
afterEach(() => {
  vi.restoreAllMocks()
})

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

type DeliveryRow = { id: string; status: string; attempts: number; next_attempt_at: number | null; updated_at: number; last_error: string | null }

/** Submits and decides an application; its mail is tried once right after the event. */
async function decided(result: 'agree' | 'refuse' = 'agree') {
  const body = validApplication()
  const created = await readJson(await submit(body))
  const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id)
  await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, result)))
  return { id: created.id as string, email: body.email }
}

const deliveryOf = (applicationId: string) => row<DeliveryRow>(`SELECT * FROM deliveries WHERE application_id = ?1 AND kind IN ('license', 'rejection')`, applicationId)
const statusOf = async (id: string) => (await row<{ status: string }>('SELECT status FROM applications WHERE id = ?1', id))?.status
const attemptsOf = (deliveryId: string) => fake.mailAttempts.filter((a) => a.idempotencyKey === `delivery/${deliveryId}`)
const logged = (text: string) => errors.mock.calls.some(([line]) => String(line).includes(text))
const failedEvent = (applicationId: string) =>
  row<{ to_status: string | null; data: string }>(`SELECT to_status, data FROM events WHERE application_id = ?1 AND type = 'delivery.failed'`, applicationId)

describe('outbox: permanent Resend errors fail fast', () => {
  it('fails a license delivery at once on 422 validation_error: application failed, event, operator alert, no retry', async () => {
    fake.mailErrors.push({ statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' })
    const app = await decided()
    const delivery = await deliveryOf(app.id)
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null })
    expect(delivery!.last_error).toContain('validation_error (422)')
    expect(await statusOf(app.id)).toBe('failed')
    const event = await failedEvent(app.id)
    expect(event?.to_status).toBe('failed')
    expect(JSON.parse(event!.data)).toMatchObject({ reason: 'permanent', failure: 'permanent', attempts: 1 })
    // One alert, raised with the transition, with one notice queued for the operations mailbox.
    expect(await alertOf('APPLICATION_FAILED', app.id)).toMatchObject({ state: 'firing', fires: 1 })
    expect(await noticesOf('APPLICATION_FAILED', app.id)).toMatchObject([{ kind: 'firing', channel: 'email', status: 'pending' }])

    await runCron(Date.now() + 2 * DAY)
    expect(attemptsOf(delivery!.id)).toHaveLength(1)
    expect(fake.emails.filter((e) => e.payload.to === app.email)).toHaveLength(0)
  })

  it('fails a rejection delivery at once on another 4xx and leaves the application rejected', async () => {
    fake.mailErrors.push({ statusCode: 400, name: 'invalid_parameter' })
    const app = await decided('refuse')
    expect(await deliveryOf(app.id)).toMatchObject({ status: 'failed', attempts: 1 })
    expect(await statusOf(app.id)).toBe('rejected')
    expect((await failedEvent(app.id))?.to_status).toBeNull()
    const delivery = await deliveryOf(app.id)
    expect(await alertOf('MAIL_FAILED', delivery!.id)).toMatchObject({ state: 'firing' })
    expect(await alertOf('APPLICATION_FAILED', app.id)).toBeNull()
  })

  it('fails at once and says so loudly when Resend reports the payload changed under the same key (409 invalid_idempotent_request)', async () => {
    fake.mailErrors.push({ statusCode: 409, name: 'invalid_idempotent_request' })
    const app = await decided()
    expect(await deliveryOf(app.id)).toMatchObject({ status: 'failed', attempts: 1 })
    expect(await statusOf(app.id)).toBe('failed')
    expect(JSON.parse((await failedEvent(app.id))!.data)).toMatchObject({ reason: 'payload_changed' })
    expect(logged('mail delivery failed for good; alerted')).toBe(true)
    expect(await alertOf('APPLICATION_FAILED', app.id)).toMatchObject({ state: 'firing' })
  })
})

describe('outbox: passing Resend errors are retried', () => {
  it('waits for retry-after on a 429 without counting it as a failed attempt, retries a network failure at the next run, then delivers', async () => {
    // Longer than the send right after the decision waits (EVENT_SEND_SECONDS): left for a run.
    fake.mailErrors.push({ statusCode: 429, name: 'rate_limit_exceeded', retryAfter: 40 }, 'network')
    const app = await decided()
    const first = await deliveryOf(app.id)
    expect(first).toMatchObject({ status: 'pending', attempts: 0 })
    expect(first!.next_attempt_at! - first!.updated_at).toBe(40_000)

    await runCron(first!.next_attempt_at!)
    const second = await deliveryOf(app.id)
    expect(second).toMatchObject({ status: 'pending', attempts: 1 })
    // In the first hour of a delivery a passing failure is retried at the next run, not in 5 min.
    expect(second!.next_attempt_at! - second!.updated_at).toBe(NEXT_RUN_MS)

    await runCron(second!.next_attempt_at!)
    expect(await deliveryOf(app.id)).toMatchObject({ status: 'sent', attempts: 2 })
    expect(await statusOf(app.id)).toBe('delivered')
    expect(attemptsOf(first!.id).map((a) => a.status)).toEqual([429, 0, 200])
  })

  it('waits out a short retry-after within the run and sends the rest in it, each once', async () => {
    fake.mailFailures = 100
    const apps = [await decided(), await decided(), await decided()]
    fake.mailFailures = 0
    fake.mailErrors.push({ statusCode: 429, name: 'rate_limit_exceeded', retryAfter: 2 })
    const due = Math.max(...(await Promise.all(apps.map(async (app) => (await deliveryOf(app.id))!.next_attempt_at!))))
    const started = Date.now()
    await runCron(due)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000)
    for (const app of apps) expect(await deliveryOf(app.id)).toMatchObject({ status: 'sent' })
    for (const app of apps) expect(fake.emails.filter((e) => e.payload.to === app.email)).toHaveLength(1)
  })

  it('backs off a passing failure once the delivery is over an hour old, and gives up by age, not by attempt count', async () => {
    const app = await decided()
    const delivery = (await deliveryOf(app.id))!
    fake.mailErrors.push('network')
    await env.DB.prepare(`UPDATE deliveries SET status = 'pending', next_attempt_at = ?2, created_at = ?3, attempts = 20 WHERE id = ?1`)
      .bind(delivery.id, Date.now(), Date.now() - 2 * 3_600_000)
      .run()
    await runCron(Date.now())
    const after = (await deliveryOf(app.id))!
    expect(after).toMatchObject({ status: 'pending', attempts: 21 })
    expect(after.next_attempt_at! - after.updated_at).toBeGreaterThanOrEqual(5 * MINUTE)
  })

  it('retries a 409 concurrent_idempotent_requests at the next run instead of backing off further', async () => {
    fake.mailErrors.push('network', 'network', { statusCode: 409, name: 'concurrent_idempotent_requests' })
    const app = await decided()
    const first = await deliveryOf(app.id)
    await runCron(first!.next_attempt_at!)
    await runCron((await deliveryOf(app.id))!.next_attempt_at!)
    const third = await deliveryOf(app.id)
    // The 3rd failure would otherwise wait 30 min.
    expect(third).toMatchObject({ status: 'pending', attempts: 3 })
    expect(third!.next_attempt_at! - third!.updated_at).toBe(NEXT_RUN_MS)
    await runCron(third!.next_attempt_at!)
    expect(await deliveryOf(app.id)).toMatchObject({ status: 'sent', attempts: 4 })
  })

  it('keeps retrying with back-off while Resend refuses the API key (401/403), alerting the operator', async () => {
    fake.mailErrors.push({ statusCode: 403, name: 'invalid_api_key' }, { statusCode: 401, name: 'restricted_api_key' })
    const app = await decided()
    const first = await deliveryOf(app.id)
    expect(first).toMatchObject({ status: 'pending', attempts: 1 })
    expect(await alertOf('MAIL_MISCONFIGURED')).toMatchObject({ state: 'firing' })
    await runCron(first!.next_attempt_at!)
    const second = await deliveryOf(app.id)
    expect(second).toMatchObject({ status: 'pending', attempts: 2 })
    expect(second!.next_attempt_at! - second!.updated_at).toBe(5 * MINUTE)
    await runCron(second!.next_attempt_at!)
    expect(await deliveryOf(app.id)).toMatchObject({ status: 'sent', attempts: 3 })
    const notes = await rows<{ type: string }>(`SELECT type FROM events WHERE application_id = ?1 AND type LIKE 'delivery.%' AND json_extract(data, '$.kind') = 'license'`, app.id)
    expect(notes.map((n) => n.type)).toEqual(['delivery.attempt_failed', 'delivery.attempt_failed', 'delivery.sent'])
    // Raised on the first refusal, counted on the second, resolved by the sent mail: one of each notice.
    expect(await alertOf('MAIL_MISCONFIGURED')).toMatchObject({ state: 'resolved', occurrences: 2, fires: 1 })
    expect((await noticesOf('MAIL_MISCONFIGURED')).map((n) => n.kind)).toEqual(['firing', 'resolved'])
  })
})
