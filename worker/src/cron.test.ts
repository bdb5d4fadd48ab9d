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

async function pending() {
  const body = validApplication()
  const created = await readJson(await submit(body))
  const app = await row<{ dingtalk_instance_id: string; created_at: number }>('SELECT * FROM applications WHERE id = ?1', created.id)
  return { id: created.id as string, email: body.email, instanceId: app!.dingtalk_instance_id, createdAt: app!.created_at }
}

const statusOf = async (id: string) => (await row<{ status: string }>('SELECT status FROM applications WHERE id = ?1', id))?.status
const pollsOf = (instanceId: string) => fake.relayCalls.filter((c) => c.method === 'GET' && c.target.endsWith(encodeURIComponent(instanceId)))
// Plenty of room, so applications left by other tests of this file never crowd ours out.
const roomy = { ...env, POLL_BATCH: '100' }

describe('cron: reconcile', () => {
  it('does not poll before 10 minutes, then applies a COMPLETED/agree result like a push would', async () => {
    const app = await pending()
    fake.finish(app.instanceId, 'COMPLETED', 'agree')

    await runCron(app.createdAt + 5 * MINUTE, roomy)
    expect(pollsOf(app.instanceId)).toHaveLength(0)
    expect(await statusOf(app.id)).toBe('pending_approval')

    await runCron(app.createdAt + 11 * MINUTE, roomy)
    expect(pollsOf(app.instanceId)).toHaveLength(1)
    expect(pollsOf(app.instanceId)[0].proofError).toBeNull()
    expect(await statusOf(app.id)).toBe('delivered')
    expect(fake.emails.filter((e) => e.payload.to === app.email)).toHaveLength(1)
    const finish = await rows<{ source: string; to_status: string }>(
      `SELECT source, to_status FROM events WHERE application_id = ?1 AND type = 'dingtalk.finish'`,
      app.id,
    )
    expect(finish).toEqual([{ source: 'cron', to_status: 'approved' }])

    // The push that finally arrives changes nothing.
    const late = await call(await eventRequest(finishEvent(app.instanceId, 'agree', 'evt-late')))
    expect(await readJson(late)).toEqual({ duplicate: true })
    expect(fake.emails.filter((e) => e.payload.to === app.email)).toHaveLength(1)
  })

  it('backs off while the instance is running: 20 minutes after the first poll, then 40', async () => {
    const app = await pending()
    await runCron(app.createdAt + 10 * MINUTE, roomy)
    expect(await row('SELECT poll_attempts, next_poll_at - ?2 AS due FROM applications WHERE id = ?1', app.id, app.createdAt)).toEqual({
      poll_attempts: 1,
      due: 30 * MINUTE,
    })
    await runCron(app.createdAt + 29 * MINUTE, roomy)
    expect(pollsOf(app.instanceId)).toHaveLength(1)
    await runCron(app.createdAt + 30 * MINUTE, roomy)
    expect(await row('SELECT poll_attempts, next_poll_at - ?2 AS due FROM applications WHERE id = ?1', app.id, app.createdAt)).toEqual({
      poll_attempts: 2,
      due: 70 * MINUTE,
    })
  })

  it('applies TERMINATED as withdrawn and a refusal as rejected', async () => {
    const withdrawn = await pending()
    const refused = await pending()
    fake.finish(withdrawn.instanceId, 'TERMINATED', '')
    fake.finish(refused.instanceId, 'COMPLETED', 'refuse')
    await runCron(refused.createdAt + 11 * MINUTE, roomy)
    expect(await statusOf(withdrawn.id)).toBe('withdrawn')
    expect(await statusOf(refused.id)).toBe('rejected')
    expect(fake.emails.filter((e) => e.payload.to === refused.email)).toHaveLength(1)
  })

  it('stops polling once the monthly DingTalk budget is used up', async () => {
    const app = await pending()
    fake.finish(app.instanceId, 'COMPLETED', 'agree')
    await runCron(app.createdAt + 11 * MINUTE, { ...roomy, DINGTALK_MONTHLY_BUDGET: '1' })
    expect(pollsOf(app.instanceId)).toHaveLength(0)
    expect(await statusOf(app.id)).toBe('pending_approval')
  })
})

describe('cron: outbox and housekeeping', () => {
  it('issues and mails the license of an application left approved by a crash', async () => {
    const app = await pending()
    // As if the worker died right after recording the approval: status and outbox row, no license.
    await env.DB.batch([
      env.DB.prepare(`UPDATE applications SET status = 'approved' WHERE id = ?1`).bind(app.id),
      env.DB.prepare(
        `INSERT INTO deliveries (id, application_id, kind, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, 'license', 'pending', 0, ?3, ?3, ?3)`,
      ).bind(`DLV-crash-${app.id}`, app.id, app.createdAt),
    ])
    await runCron(app.createdAt + MINUTE, roomy)
    expect(await statusOf(app.id)).toBe('delivered')
    expect(await rows('SELECT id FROM licenses WHERE application_id = ?1', app.id)).toHaveLength(1)
    expect(fake.emails.filter((e) => e.payload.to === app.email)).toHaveLength(1)
  })

  it('deletes expired proof ids and keeps live ones', async () => {
    const now = Date.now()
    const nowSeconds = Math.floor(now / 1000)
    await env.DB.batch([
      env.DB.prepare('INSERT INTO seen_proofs (jti, exp) VALUES (?1, ?2)').bind('jti-expired-aaaaaaaa', nowSeconds - 10),
      env.DB.prepare('INSERT INTO seen_proofs (jti, exp) VALUES (?1, ?2)').bind('jti-live-bbbbbbbbbbbb', nowSeconds + 60),
    ])
    await runCron(now)
    expect(await row('SELECT 1 AS found FROM seen_proofs WHERE jti = ?1', 'jti-expired-aaaaaaaa')).toBeNull()
    expect(await row('SELECT 1 AS found FROM seen_proofs WHERE jti = ?1', 'jti-live-bbbbbbbbbbbb')).toEqual({ found: 1 })
  })

  it('keeps the events table append-only', async () => {
    const app = await pending()
    await expect(env.DB.prepare('UPDATE events SET type = ?2 WHERE application_id = ?1').bind(app.id, 'x').run()).rejects.toThrow(/append-only/)
    await expect(env.DB.prepare('DELETE FROM events WHERE application_id = ?1').bind(app.id).run()).rejects.toThrow(/append-only/)
  })

  it('refuses a status change outside the lifecycle', async () => {
    const app = await pending()
    await expect(env.DB.prepare(`UPDATE applications SET status = 'delivered' WHERE id = ?1`).bind(app.id).run()).rejects.toThrow(
      /invalid application status transition/,
    )
  })
})
