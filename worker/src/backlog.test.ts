import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../test/fake-upstream.ts'
import { readJson, row, runCron, submit, validApplication } from '../test/helpers.ts'
import { drainBacklog, onProxyHeartbeat } from './backlog.ts'
import { loadConfig } from './config.ts'
import { dingtalkFor } from './dingtalk/egress.ts'
import { createLogger } from './log.ts'

let fake: FakeUpstream
beforeEach(async () => {
  fake = new FakeUpstream()
  fake.install()
  await env.DB.prepare(`UPDATE applications SET status = 'failed' WHERE status = 'submitted'`).run()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const creates = () => fake.relayCalls.filter((c) => c.method === 'POST' && c.target === '/relay/api/v1.0/workflow/processInstances')
const countSubmitted = async () => (await row<{ n: number }>(`SELECT COUNT(*) AS n FROM applications WHERE status = 'submitted'`))!.n

/** `count` applications saved while no proxy relays (202 each). */
async function outage(count: number) {
  fake.dingtalk = 'unreachable'
  for (let i = 0; i < count; i++) expect((await submit(validApplication())).status).toBe(202)
  fake.dingtalk = 'up'
  fake.relayCalls.length = 0
}

describe('backlog: fast recovery after an outage', () => {
  it('submits the whole backlog of 30 in one cron run (not 10 a minute)', async () => {
    await outage(30)
    await runCron(Date.now())
    expect(await countSubmitted()).toBe(0)
    expect(creates()).toHaveLength(30)
  })

  it('paces creates to DINGTALK_QPS with a few at once', async () => {
    await outage(31)
    const config = await loadConfig({ ...env, DINGTALK_QPS: '15' })
    let clock = 1_000_000
    const sleeps: number[] = []
    const summary = await drainBacklog({
      db: env.DB,
      config,
      dingtalk: dingtalkFor(env, config, 'test'),
      log: createLogger(),
      now: Date.now(),
      source: 'cron',
      clock: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms)
        clock += ms
      },
    })
    expect(summary.submitted).toBe(31)
    // 31 creates at 15 a second take two seconds of slots at least.
    expect(clock - 1_000_000).toBeGreaterThanOrEqual(1990)
  })

  it('stops at the first "no proxy relayed" and leaves the rest due at the next run, without growing the back-off', async () => {
    await outage(20)
    fake.dingtalk = 'unreachable'
    const now = Date.now()
    await runCron(now)
    // At most the creates already in flight when the first failure came back.
    expect(creates().length).toBeLessThanOrEqual(5)
    const latest = await row<{ due: number; attempts: number }>(
      `SELECT MAX(next_submit_at) AS due, MAX(submit_attempts) AS attempts FROM applications WHERE status = 'submitted'`,
    )
    expect(latest!.attempts).toBe(0)
    expect(latest!.due).toBeLessThanOrEqual(now + 2 * 60_000)
    // Pushes may have failed the same way: the reconciler will read DingTalk's failed-push list.
    expect(await row(`SELECT 1 AS set_ FROM worker_state WHERE key = 'push_missed_suspected'`)).not.toBeNull()
    fake.dingtalk = 'up'
    await runCron(now + 3 * 60_000)
    expect(await countSubmitted()).toBe(0)
  })

  it('submits nothing from cron once the monthly DingTalk budget is used up', async () => {
    await outage(2)
    await runCron(Date.now(), { ...env, DINGTALK_MONTHLY_BUDGET: '1' })
    expect(creates()).toHaveLength(0)
    expect(await countSubmitted()).toBe(2)
  })

  it('drains the backlog in waitUntil when a proxy heartbeat reports ready', async () => {
    await outage(3)
    const config = await loadConfig(env)
    const pending: Promise<unknown>[] = []
    const deps = { db: env.DB, config, log: createLogger(), env, now: Date.now(), waitUntil: (p: Promise<unknown>) => void pending.push(p) }
    expect(await onProxyHeartbeat(deps, { proxyId: 'p1', ready: false })).toBe(false)
    expect(await onProxyHeartbeat(deps, { proxyId: 'p1', ready: true })).toBe(true)
    await Promise.all(pending)
    expect(await countSubmitted()).toBe(0)
    expect(await onProxyHeartbeat(deps, { proxyId: 'p1', ready: true })).toBe(false)
  })
})
