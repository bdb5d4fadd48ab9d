// The budgets that protect DingTalk's quota: the daily and monthly caps on new submissions and the
// reserve kept for polling, across UTC day and month boundaries (the worker's clock is faked).
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../test/fake-upstream.ts'
import { BASE, call, readJson, row, rows, runCron, submit, tokenOf, validApplication } from '../test/helpers.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
  vi.useFakeTimers({ toFake: ['Date'] })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const MINUTE = 60_000
const at = (iso: string): number => Date.parse(iso)
const creates = () => fake.relayCalls.filter((c) => c.method === 'POST' && c.target === '/relay/api/v1.0/workflow/processInstances')
const application = (id: string) =>
  row<{ status: string; next_submit_at: number | null; last_error: string | null }>('SELECT status, next_submit_at, last_error FROM applications WHERE id = ?1', id)
const alertOf = (subject: string) => row<{ state: string; fires: number; occurrences: number; details: string }>(`SELECT * FROM alerts WHERE code = 'SUBMIT_CAP_REACHED' AND subject = ?1`, subject)
const noticesOf = (subject: string, kind: 'firing' | 'resolved') =>
  rows<{ channel: string; details: string }>(`SELECT * FROM alert_notices WHERE code = 'SUBMIT_CAP_REACHED' AND subject = ?1 AND kind = ?2`, subject, kind)
const statusView = (created: { id: string; statusUrl: string }) =>
  call(new Request(`${BASE}/api/applications/${created.id}?t=${tokenOf(created.statusUrl)}`)).then((r) => readJson(r))

async function submitAt(time: number, bindings: Cloudflare.Env): Promise<{ status: number; body: any }> {
  vi.setSystemTime(time)
  const response = await submit(validApplication(), {}, bindings)
  return { status: response.status, body: await readJson(response) }
}

describe('budgets: the daily cap', () => {
  const bindings = { ...env, SUBMIT_DAILY_CAP: '2' }

  it('keeps submissions over the cap until the next UTC day, alerts once, and resolves when the day turns', async () => {
    const evening = at('2031-03-31T23:50:00Z')
    expect((await submitAt(evening, bindings)).status).toBe(201)
    expect((await submitAt(evening + MINUTE, bindings)).status).toBe(201)

    const over = await submitAt(evening + 2 * MINUTE, bindings)
    expect(over).toEqual({ status: 202, body: { id: over.body.id, status: 'submitted', statusUrl: expect.any(String), deferred: true } })
    const kept = await application(over.body.id)
    expect(kept).toMatchObject({ status: 'submitted', next_submit_at: at('2031-04-01T00:00:00Z') })
    expect(kept!.last_error).toMatch(/^SUBMIT_CAP_DAILY: /)
    expect(await rows(`SELECT data FROM events WHERE application_id = ?1 AND type = 'submission.deferred'`, over.body.id)).toEqual([
      { data: JSON.stringify({ cap: 'daily', until: '2031-04-01T00:00:00.000Z' }) },
    ])
    expect(creates()).toHaveLength(2)

    // Several refusals (the API and cron), one alert and one notice.
    const again = await submitAt(evening + 3 * MINUTE, bindings)
    expect(again.status).toBe(202)
    await runCron(evening + 4 * MINUTE, bindings)
    await runCron(evening + 5 * MINUTE, bindings)
    expect(creates()).toHaveLength(2)
    const alert = await alertOf('daily')
    expect(alert).toMatchObject({ state: 'firing', fires: 1, occurrences: 2 })
    expect(JSON.parse(alert!.details)).toEqual({ cap: 2, used: 2, period: '2031-03-31', reopensAt: '2031-04-01T00:00:00.000Z' })
    expect(await noticesOf('daily', 'firing')).toEqual([expect.objectContaining({ channel: 'email' })])
    // The status page says it is kept, not why.
    expect(await statusView(over.body)).toMatchObject({ status: 'submitted', deferred: true })
    expect(JSON.stringify(await statusView(over.body))).not.toContain('SUBMIT_CAP')

    // The day turns: the alert resolves and the kept applications go to DingTalk.
    vi.setSystemTime(at('2031-04-01T00:00:30Z'))
    await runCron(at('2031-04-01T00:00:30Z'), bindings)
    expect(creates()).toHaveLength(4)
    expect(await application(over.body.id)).toMatchObject({ status: 'pending_approval', last_error: null })
    expect(await application(again.body.id)).toMatchObject({ status: 'pending_approval' })
    expect(await alertOf('daily')).toMatchObject({ state: 'resolved' })
    expect(await noticesOf('daily', 'firing')).toHaveLength(1)
    expect(await noticesOf('daily', 'resolved')).toHaveLength(1)
    expect(await statusView(over.body)).toMatchObject({ status: 'pending_approval', deferred: false })
  })

  it('gives the slot back when no proxy relayed the create, so a retry is not counted twice', async () => {
    const day = at('2031-08-10T08:00:00Z')
    const one = { ...env, SUBMIT_DAILY_CAP: '1' }
    fake.dingtalk = 'unreachable'
    const first = await submitAt(day, one)
    expect(first.body).not.toHaveProperty('deferred')
    fake.dingtalk = 'up'
    // The failed create left the day's only slot free: this one takes it.
    expect((await submitAt(day + MINUTE, one)).status).toBe(201)
    expect(await row(`SELECT creates FROM submission_usage WHERE period = '2031-08-10'`)).toEqual({ creates: 1 })
    await runCron(day + 2 * MINUTE, one)
    expect(await application(first.body.id)).toMatchObject({ status: 'submitted', next_submit_at: at('2031-08-11T00:00:00Z') })
  })

  it('lets concurrent submissions take no more than the cap', async () => {
    const day = at('2031-09-10T08:00:00Z')
    vi.setSystemTime(day)
    const three = { ...env, SUBMIT_DAILY_CAP: '3' }
    const answers = await Promise.all(Array.from({ length: 10 }, () => submit(validApplication(), {}, three)))
    expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 201, 202, 202, 202, 202, 202, 202, 202])
    expect(creates()).toHaveLength(3)
    expect(await row(`SELECT creates FROM submission_usage WHERE period = '2031-09-10'`)).toEqual({ creates: 3 })
  })
})

describe('budgets: the monthly cap', () => {
  const bindings = { ...env, SUBMIT_MONTHLY_CAP: '3' }

  it('keeps submissions over the cap until the next UTC month (not the next day), and a kept one is not given up on its first failure', async () => {
    const may = at('2031-05-20T10:00:00Z')
    for (let i = 0; i < 3; i++) expect((await submitAt(may + i * MINUTE, bindings)).status).toBe(201)
    const over = await submitAt(may + 3 * MINUTE, bindings)
    expect(over.status).toBe(202)
    expect(over.body.deferred).toBe(true)
    const kept = await application(over.body.id)
    expect(kept).toMatchObject({ status: 'submitted', next_submit_at: at('2031-06-01T00:00:00Z') })
    expect(kept!.last_error).toMatch(/^SUBMIT_CAP_MONTHLY: /)
    expect(JSON.parse((await alertOf('monthly'))!.details)).toMatchObject({ cap: 3, used: 3, period: '2031-05', reopensAt: '2031-06-01T00:00:00.000Z' })

    // A new day is not a new month.
    await runCron(at('2031-05-21T00:01:00Z'), bindings)
    expect(creates()).toHaveLength(3)
    expect(await alertOf('monthly')).toMatchObject({ state: 'firing' })

    // June: the window is open again, but no proxy relays. 12 days after it was stored, the
    // application still waits (its one-day give-up clock starts when the window reopened).
    fake.dingtalk = 'unreachable'
    await runCron(at('2031-06-01T00:00:30Z'), bindings)
    expect(await alertOf('monthly')).toMatchObject({ state: 'resolved' })
    expect(await application(over.body.id)).toMatchObject({ status: 'submitted' })
    fake.dingtalk = 'up'
    await runCron(at('2031-06-01T00:01:30Z'), bindings)
    expect(await application(over.body.id)).toMatchObject({ status: 'pending_approval' })
    expect(await noticesOf('monthly', 'firing')).toHaveLength(1)
  })
})

describe('budgets: the polling reserve', () => {
  const polls = () => fake.relayCalls.filter((c) => c.method === 'GET' && c.target.includes('processInstances'))

  it('stops submissions DINGTALK_POLL_RESERVE calls before the monthly budget while polling goes on', async () => {
    const budget = { ...env, DINGTALK_MONTHLY_BUDGET: '100', DINGTALK_POLL_RESERVE: '5', POLL_BATCH: '100' }
    const july = at('2031-07-10T10:00:00Z')
    const polled = await submitAt(july, budget)
    expect(polled.status).toBe(201)
    // 95 calls used: only the reserve is left.
    await env.DB.prepare(`UPDATE api_usage SET calls = 95 WHERE month = '2031-07'`).run()

    const over = await submitAt(july + MINUTE, budget)
    expect(over.status).toBe(202)
    expect(over.body.deferred).toBe(true)
    const kept = await application(over.body.id)
    expect(kept!.last_error).toMatch(/^SUBMIT_CAP_RESERVE: /)
    // Tried again at the next run (a raised budget counts at once), not next month.
    expect(kept!.next_submit_at).toBe(july + MINUTE + 30_000)

    // The reconciler still polls the first one, inside the reserve.
    await runCron(july + 11 * MINUTE, budget)
    expect(polls().length).toBeGreaterThan(0)
    expect(creates()).toHaveLength(1)
    expect(await application(over.body.id)).toMatchObject({ status: 'submitted' })
    expect(await alertOf('reserve')).toMatchObject({ state: 'firing', fires: 1 })
    expect(await noticesOf('reserve', 'firing')).toHaveLength(1)
    // One note per application and period, however many runs keep it.
    expect(await rows(`SELECT id FROM events WHERE application_id = ?1 AND type = 'submission.deferred'`, over.body.id)).toHaveLength(1)

    // A raised budget: submitted on the next run, the alert resolved.
    await runCron(july + 12 * MINUTE, { ...budget, DINGTALK_MONTHLY_BUDGET: '200' })
    expect(await application(over.body.id)).toMatchObject({ status: 'pending_approval' })
    expect(await alertOf('reserve')).toMatchObject({ state: 'resolved' })
  })
})
