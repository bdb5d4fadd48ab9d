// A DingTalk slower than everyone's patience: the create lands at DingTalk but its answer comes after
// the proxy gave up (504 UPSTREAM_TIMEOUT, outcome unknown). The worker must neither lose the
// application nor create a second instance: it adopts the one that exists — found by its search,
// or announced by the approval event of an instance it has not recorded yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

let stack: Stack

beforeAll(async () => {
  stack = await startTestStack('slow-dingtalk', {
    env: {
      // Shortened budgets, same order as production: proxy upstream 3 s < worker per attempt 6 s.
      proxy: { UPSTREAM_TIMEOUT_MS: '3000' },
      worker: { RELAY_TIMEOUT_MS: '6000', SUBMIT_ADOPT_AFTER_MS: '2000' },
    },
  })
})

afterAll(async () => {
  await stack?.stop()
})

/** Slow creates; the `start` push of the instance is lost too, so only the search or a later event can reveal it. */
async function slowCreates(ms: number): Promise<void> {
  const { status } = await json(`${stack.urls.sandbox}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ createDelayMs: ms, pushBlocked: ms > 0 }),
  })
  expect(status).toBe(200)
}

async function delivered(statusUrl: string) {
  return eventually(async () => {
    const { body } = await statusOfApplication(stack, statusUrl)
    return body.status === 'delivered' && body
  }, 'the application delivered', 30_000)
}

describe('a create DingTalk answers after the proxy gave up', () => {
  it('is adopted by the next submit run, not created again, and its approval is mailed once', async () => {
    await slowCreates(4_000)
    const input = applicationInput()
    const created = await submitApplication(stack, input)
    expect(created.status).toBe(202)
    expect(created.body.status).toBe('submitted')
    await sleep(6_000) // the instance exists at DingTalk; its answer and its start push were lost
    await slowCreates(0)
    expect((await instanceCounts(stack)).get(created.body.id)).toBe(1)

    await eventually(async () => {
      await stack.triggerCron()
      const { body } = await statusOfApplication(stack, created.body.statusUrl)
      return body.status === 'pending_approval'
    }, 'the instance adopted', 20_000)
    expect((await instanceCounts(stack)).get(created.body.id)).toBe(1)

    await decideInSandbox(stack, created.body.id)
    await delivered(created.body.statusUrl)
    expect((await emailsTo(stack, input.email)).length).toBe(1)
    expect((await instanceCounts(stack)).get(created.body.id)).toBe(1)
  })

  it('applies an approval event for an instance the worker has not recorded yet, instead of dropping it', async () => {
    await slowCreates(4_000)
    const input = applicationInput()
    const created = await submitApplication(stack, input)
    expect(created.status).toBe(202)
    await sleep(6_000)
    await slowCreates(0)
    // No cron run yet: the worker does not know the instance when DingTalk announces the decision.
    expect((await statusOfApplication(stack, created.body.statusUrl)).body.status).toBe('submitted')
    await decideInSandbox(stack, created.body.id)
    const status = await delivered(created.body.statusUrl)
    expect(status.timeline.map((step: { status: string }) => step.status)).toContain('approved')
    expect((await emailsTo(stack, input.email)).length).toBe(1)
    // A later cron run finds nothing left to do and creates nothing.
    await stack.triggerCron()
    await sleep(500)
    expect((await instanceCounts(stack)).get(created.body.id)).toBe(1)
  })
})
