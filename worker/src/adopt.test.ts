import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../test/fake-upstream.ts'
import { readJson, row, rows, runCron, submit, validApplication } from '../test/helpers.ts'

let fake: FakeUpstream
beforeEach(async () => {
  fake = new FakeUpstream()
  fake.install()
  // Each test's fake DingTalk starts empty: applications left by earlier tests must not be submitted again here.
  await env.DB.prepare(`UPDATE applications SET status = 'failed' WHERE status = 'submitted'`).run()
})
afterEach(() => {
  vi.restoreAllMocks()
})

type AppRow = { status: string; dingtalk_instance_id: string | null; submit_outcome_unknown_at: number | null; next_submit_at: number | null; created_at: number }
const appRow = (id: string) => row<AppRow>('SELECT * FROM applications WHERE id = ?1', id)
const creates = () => fake.relayCalls.filter((c) => c.method === 'POST' && c.target === '/relay/api/v1.0/workflow/processInstances')
const instancesOf = (id: string) => [...fake.instances.values()].filter((i) => i.body.formComponentValues.some((v) => v.value === id))
const quick = { ...env, RELAY_TIMEOUT_MS: '1000', SUBMIT_ANSWER_WITHIN_MS: '3000', POLL_BATCH: '0' }

async function lostCreate(outcome: 'timeout-after-create' | 'hang-after-create' | 'reset-after-create') {
  fake.createOutcomes.push(outcome)
  const response = await submit(validApplication(), {}, quick)
  expect(response.status).toBe(202)
  const body = await readJson(response)
  return { id: body.id as string, saved: (await appRow(body.id))! }
}

describe('exactly one approval per application', () => {
  it('answers 202 and records the unknown outcome when DingTalk created the instance but the answer was lost (504)', async () => {
    const { id, saved } = await lostCreate('timeout-after-create')
    expect(saved.status).toBe('submitted')
    expect(saved.submit_outcome_unknown_at).toEqual(expect.any(Number))
    expect(saved.next_submit_at).toBe(saved.submit_outcome_unknown_at! + 60_000)
    expect(instancesOf(id)).toHaveLength(1)
  })

  it('does not create again before SUBMIT_ADOPT_AFTER_MS, then finds the instance by its application number and adopts it', async () => {
    const { id, saved } = await lostCreate('timeout-after-create')
    const [instance] = instancesOf(id)
    await runCron(saved.submit_outcome_unknown_at! + 30_000, quick)
    expect(creates()).toHaveLength(1)
    expect((await appRow(id))!.status).toBe('submitted')

    await runCron(saved.submit_outcome_unknown_at! + 61_000, quick)
    expect(creates()).toHaveLength(1)
    expect(instancesOf(id)).toHaveLength(1)
    const after = (await appRow(id))!
    expect(after).toMatchObject({ status: 'pending_approval', dingtalk_instance_id: instance.id, submit_outcome_unknown_at: null })
    const events = await rows<{ type: string; data: string }>(`SELECT type, data FROM events WHERE application_id = ?1 AND type = 'dingtalk.instance_adopted'`, id)
    expect(events, JSON.stringify(events)).toHaveLength(1)
    expect(JSON.parse(events[0].data)).toMatchObject({ instanceId: instance.id, reason: 'search' })
    // The query as DingTalk's SDK defines it (ListProcessInstanceIdsRequest).
    expect(fake.listQueries[0]).toEqual({
      processCode: env.DINGTALK_PROCESS_CODE,
      startTime: expect.any(Number),
      endTime: expect.any(Number),
      userIds: [env.DINGTALK_ORIGINATOR_USER_ID],
      nextToken: 0,
      maxResults: 20,
    })
  })

  it('creates again, once, when the search finds no instance (the lost create never reached DingTalk)', async () => {
    const { id, saved } = await lostCreate('timeout-after-create')
    fake.instances.clear()
    await runCron(saved.submit_outcome_unknown_at! + 61_000, quick)
    expect(creates()).toHaveLength(2)
    expect(instancesOf(id)).toHaveLength(1)
    expect((await appRow(id))!.status).toBe('pending_approval')
  })

  it('treats the worker timeout and a reset mid-exchange like a lost answer: no second instance', async () => {
    for (const outcome of ['hang-after-create', 'reset-after-create'] as const) {
      const { id, saved } = await lostCreate(outcome)
      expect(saved.submit_outcome_unknown_at).toEqual(expect.any(Number))
      await runCron(saved.submit_outcome_unknown_at! + 61_000, quick)
      expect(instancesOf(id)).toHaveLength(1)
      expect((await appRow(id))!.status).toBe('pending_approval')
    }
  })

  it('counts the list and get calls of a search against the monthly API budget', async () => {
    const { saved } = await lostCreate('timeout-after-create')
    const month = new Date(saved.submit_outcome_unknown_at! + 61_000).toISOString().slice(0, 7)
    const before = (await row<{ calls: number }>('SELECT calls FROM api_usage WHERE month = ?1', month))?.calls ?? 0
    await runCron(saved.submit_outcome_unknown_at! + 61_000, quick)
    const after = (await row<{ calls: number }>('SELECT calls FROM api_usage WHERE month = ?1', month))!.calls
    const lists = fake.relayCalls.filter((c) => c.target.includes('instanceIds')).length
    const gets = fake.relayCalls.filter((c) => c.method === 'GET').length
    expect(lists).toBeGreaterThan(0)
    expect(after - before).toBe(lists + gets)
  })

  it('answers 202 when DingTalk is slower than the answer deadline, and the submit finishes after the response', async () => {
    fake.createDelayMs = 600
    const response = await submit(validApplication(), {}, { ...quick, SUBMIT_ANSWER_WITHIN_MS: '200' })
    expect(response.status).toBe(202)
    const body = await readJson(response)
    expect(body).toEqual({ id: body.id, status: 'submitted', statusUrl: expect.any(String) })
    // call() waited for waitUntil: the submit went on and DingTalk has the instance.
    expect((await appRow(body.id))!.status).toBe('pending_approval')
    expect(creates()).toHaveLength(1)
  })
})
