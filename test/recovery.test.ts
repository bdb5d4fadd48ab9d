// Recovery after outages, with the worker's cron firing every minute as it does in production:
// the only proxy down for 30 s, and the mailbox failing (5xx, then 429 with retry-after) while
// approvals come in. Each backlog must clear within a minute of recovery (plus the mail rate).
import { afterEach, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import {
  applicationInput,
  decideInSandbox,
  emailsTo,
  eventually,
  instanceCounts,
  json,
  sleep,
  startTestStack,
  statusOfApplication,
  submitApplication,
} from './helpers.ts'

const CRON_MS = 60_000
const MAIL_RATE = 2

let stack: Stack | undefined
afterEach(async () => {
  await stack?.stop()
  stack = undefined
})

async function faults(s: Stack, patch: Record<string, unknown>): Promise<void> {
  const { status } = await json(`${s.urls.sandbox}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) })
  expect(status).toBe(200)
}

describe('recovery after outages', () => {
  it('submits every application an outage of the only proxy caught within a minute of it being ready, and mails each decision once', { timeout: 240_000 }, async () => {
    const s = (stack = await startTestStack('outage', { cronIntervalMs: CRON_MS }))
    await s.stopPart('proxy')
    const inputs = Array.from({ length: 20 }, () => applicationInput())
    const answers = await Promise.all(inputs.map((input) => submitApplication(s, input)))
    expect(answers.map((answer) => answer.status)).toEqual(inputs.map(() => 202))
    await sleep(30_000)

    await s.startPart('proxy')
    const readyAt = Date.now()
    await eventually(
      async () => {
        const counts = await instanceCounts(s)
        return answers.every((answer) => counts.get(answer.body.id) === 1)
      },
      'every caught application in DingTalk',
      CRON_MS + 10_000,
    )
    const submittedIn = Date.now() - readyAt
    expect(submittedIn).toBeLessThanOrEqual(CRON_MS)

    for (const answer of answers) await decideInSandbox(s, answer.body.id, answer === answers[0] ? 'reject' : 'approve')
    await eventually(async () => {
      const counts = await Promise.all(inputs.map(async (input) => (await emailsTo(s, input.email)).length))
      return counts.every((count) => count >= 1) && counts
    // 20 decisions at once meet the mail rate (2/s): the throttled ones go out at the next cron run.
    }, 'a decision email for each', CRON_MS + 30_000)
    await sleep(2_000)
    for (const input of inputs) expect((await emailsTo(s, input.email)).length).toBe(1)
    expect([...(await instanceCounts(s)).values()].every((count) => count === 1)).toBe(true)
    console.log(`outage: 20 applications caught by a 30 s proxy outage reached DingTalk ${submittedIn} ms after the proxy was ready`)
  })

  it('delivers every license email once within a minute plus its share of the rate after a mail outage of 5xx then 429', { timeout: 240_000 }, async () => {
    const s = (stack = await startTestStack('mail-outage', { cronIntervalMs: CRON_MS }))
    await faults(s, { mailFailures: 100_000 })
    const inputs = Array.from({ length: 20 }, () => applicationInput())
    const answers = await Promise.all(inputs.map((input) => submitApplication(s, input)))
    expect(answers.map((answer) => [answer.status, answer.body?.error?.code ?? null])).toEqual(answers.map(() => [201, null]))
    for (const answer of answers) await decideInSandbox(s, answer.body.id)
    await eventually(async () => {
      const statuses = await Promise.all(answers.map((answer) => statusOfApplication(s, answer.body.statusUrl)))
      return statuses.every((status) => status.body.status === 'issued')
    }, 'every license issued while the mailbox fails', 30_000)
    await sleep(15_000)

    // The 5xx stop; the provider throttles a few more sends with retry-after, then accepts. Its
    // retry-afters are the end of the outage: the limit is a minute plus 20 / rate after them.
    const throttled = { count: 3, retryAfterSeconds: 3 }
    await faults(s, { mailFailures: 0, mailThrottled: throttled.count, mailRetryAfterSeconds: throttled.retryAfterSeconds })
    const recoveredAt = Date.now()
    const limit = CRON_MS + (inputs.length / MAIL_RATE) * 1000 + throttled.count * throttled.retryAfterSeconds * 1000
    await eventually(
      async () => {
        const counts = await Promise.all(inputs.map(async (input) => (await emailsTo(s, input.email)).length))
        return counts.every((count) => count >= 1)
      },
      'every license email after the outage',
      limit + 15_000,
    )
    const deliveredIn = Date.now() - recoveredAt
    expect(deliveredIn).toBeLessThanOrEqual(limit)
    await sleep(2_000)
    for (const input of inputs) expect((await emailsTo(s, input.email)).length).toBe(1)
    const statuses = await Promise.all(answers.map((answer) => statusOfApplication(s, answer.body.statusUrl)))
    expect(statuses.map((status) => status.body.status)).toEqual(answers.map(() => 'delivered'))
    console.log(`mail outage: 20 license emails delivered ${deliveredIn} ms after the mailbox recovered (limit ${limit} ms)`)
  })
})
