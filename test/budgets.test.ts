// The daily cap on new DingTalk submissions, end to end: real worker, proxy and sandbox DingTalk;
// the sandbox mailbox as the operations mailbox (ALERT_EMAIL = ops@licensedesk.local in wrangler.toml).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, emailsTo, eventually, instanceCounts, runCronAt, sleep, startTestStack, statusOfApplication, submitApplication } from './helpers.ts'

const OPS = 'ops@licensedesk.local'
const DAY_MS = 24 * 60 * 60 * 1000

let stack: Stack
beforeAll(async () => {
  // The cap counts per UTC day: do not start a minute before midnight.
  const toMidnight = DAY_MS - (Date.now() % DAY_MS)
  if (toMidnight < 60_000) await sleep(toMidnight + 1000)
  stack = await startTestStack('budgets', { env: { worker: { SUBMIT_DAILY_CAP: '2' } } })
})
afterAll(async () => {
  await stack?.stop()
})

const capAlerts = async () => (await emailsTo(stack, OPS)).filter((mail) => mail.subject.startsWith('[licensedesk] ALERT SUBMIT_CAP_REACHED'))

describe('budgets: SUBMIT_DAILY_CAP=2', () => {
  it('sends two of four applications for approval, keeps two (202 deferred), and mails the alert exactly once', async () => {
    const inputs = Array.from({ length: 4 }, () => applicationInput())
    const answers = []
    for (const input of inputs) answers.push(await submitApplication(stack, input))
    expect(answers.map((a) => a.status)).toEqual([201, 201, 202, 202])
    for (const kept of answers.slice(2)) expect(kept.body).toEqual({ id: kept.body.id, status: 'submitted', statusUrl: expect.any(String), deferred: true })

    const counts = await instanceCounts(stack)
    expect(answers.map((a) => counts.get(a.body.id) ?? 0)).toEqual([1, 1, 0, 0])
    const view = await statusOfApplication(stack, answers[2].body.statusUrl)
    expect(view.body).toMatchObject({ status: 'submitted', deferred: true })

    // Cron runs: the kept ones stay kept, the alert goes out once.
    // A notice that meets Resend's rate limit (the applicants' acknowledgements go out too) is
    // sent by a later run: cron runs until it arrives.
    let run = 0
    await eventually(async () => {
      // A refused notice is due again a run later: each run is a minute further on the worker's clock.
      await runCronAt(stack, Date.now() + 61_000 * run++)
      return (await capAlerts()).length > 0
    }, 'the SUBMIT_CAP_REACHED alert in the operations mailbox', 30_000)
    await stack.triggerCron()
    await stack.triggerCron()
    const mails = await capAlerts()
    expect(mails).toHaveLength(1)
    expect(mails[0].text).toContain('Code: SUBMIT_CAP_REACHED')
    expect(mails[0].text).toContain('daily')
    // No personal data (nor which applications) in the alert.
    const body = `${mails[0].subject}\n${mails[0].text}\n${mails[0].html}`
    for (const [i, input] of inputs.entries()) {
      expect(body).not.toContain(input.email)
      expect(body).not.toContain(answers[i].body.id)
    }

    const after = await instanceCounts(stack)
    expect(answers.map((a) => after.get(a.body.id) ?? 0)).toEqual([1, 1, 0, 0])
    expect((await statusOfApplication(stack, answers[3].body.statusUrl)).body).toMatchObject({ status: 'submitted', deferred: true })
  })
})
