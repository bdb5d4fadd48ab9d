// POST /api/admin/applications/:id/withdraw: an application not (and not possibly) in DingTalk
// ended as withdrawn, once; one awaiting approval refused (the worker cannot terminate it yet).
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { operatorEvents, startActionStack } from '../../../test/admin-actions.ts'
import { seedApplication } from '../../../test/admin-seed.ts'
import { OPERATOR, VIEWER } from '../../../test/fake-access.ts'
import { readJson, row, runCron } from '../../../test/helpers.ts'

afterEach(() => vi.restoreAllMocks())

const statusOf = async (id: string) => (await row<{ status: string }>('SELECT status FROM applications WHERE id = ?1', id))?.status

describe('POST /api/admin/applications/:id/withdraw', () => {
  it('withdraws a submitted application, which cron then never submits, and records who and why', async () => {
    const stack = await startActionStack()
    const id = await seedApplication({ status: 'submitted' })
    await env.DB.prepare('UPDATE applications SET next_submit_at = ?2 WHERE id = ?1').bind(id, Date.now() + 3_600_000).run()
    const response = await stack.act(id, 'withdraw', { reason: 'duplicate request', idempotencyKey: 'w-1' })
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ applicationId: id, status: 'withdrawn', duplicate: false })
    expect(await statusOf(id)).toBe('withdrawn')
    expect(await operatorEvents(id)).toEqual([
      expect.objectContaining({ type: 'operator.withdraw', source: 'operator', from_status: 'submitted', to_status: 'withdrawn', data: { operator: OPERATOR, reason: 'duplicate request' } }),
    ])
    await runCron(Date.now() + 2 * 3_600_000, stack.access.env)
    expect(stack.upstream.relayCalls.filter((c) => c.target === '/relay/api/v1.0/workflow/processInstances')).toHaveLength(0)
  })

  it('withdraws once for the same key twice, and without a key answers a withdrawn one as a duplicate', async () => {
    const stack = await startActionStack()
    const id = await seedApplication({ status: 'failed' })
    expect((await stack.act(id, 'withdraw', { reason: 'customer cancelled', idempotencyKey: 'w-2' })).status).toBe(200)
    const again = await readJson(await stack.act(id, 'withdraw', { reason: 'customer cancelled', idempotencyKey: 'w-2' }))
    expect(again).toMatchObject({ status: 'withdrawn', duplicate: true })
    const keyless = await readJson(await stack.act(id, 'withdraw', { reason: 'customer cancelled' }))
    expect(keyless).toMatchObject({ status: 'withdrawn', duplicate: true })
    expect(await operatorEvents(id)).toHaveLength(1)
  })

  it('refuses an application that is, or may be, in DingTalk with 409 WITHDRAW_INSTANCE_RUNNING', async () => {
    const stack = await startActionStack()
    const running = await seedApplication({ status: 'pending_approval', dingtalkInstanceId: `inst-${crypto.randomUUID()}` })
    const lost = await seedApplication({ status: 'submitted' })
    await env.DB.prepare('UPDATE applications SET submit_outcome_unknown_at = ?2, next_submit_at = ?2 WHERE id = ?1').bind(lost, Date.now()).run()
    const leased = await seedApplication({ status: 'submitted' })
    await env.DB.prepare('UPDATE applications SET next_submit_at = ?2 WHERE id = ?1').bind(leased, Date.now() + 60_000).run()
    for (const id of [running, lost, leased]) {
      const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
      expect(response.status, id).toBe(409)
      expect((await readJson(response)).error.code).toBe('WITHDRAW_INSTANCE_RUNNING')
    }
    expect(await statusOf(running)).toBe('pending_approval')
    expect(await statusOf(lost)).toBe('submitted')
  })

  it('refuses a decided application with 409 WITHDRAW_NOT_ALLOWED', async () => {
    const stack = await startActionStack()
    for (const status of ['approved', 'issued', 'delivered', 'rejected']) {
      const id = await seedApplication({ status })
      const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
      expect(response.status, status).toBe(409)
      expect(await readJson(response)).toEqual({ error: { code: 'WITHDRAW_NOT_ALLOWED', message: expect.any(String) }, status })
    }
  })

  it('answers a missing reason with 400, an unknown id with 404 and a viewer with 403', async () => {
    const stack = await startActionStack()
    const id = await seedApplication({ status: 'failed' })
    const missing = await stack.act(id, 'withdraw', { reason: '  ' })
    expect(missing.status).toBe(400)
    expect((await readJson(missing)).error.fields).toEqual({ reason: 'REQUIRED' })
    expect((await stack.act('LD-NOSUCHAPP000', 'withdraw', { reason: 'customer cancelled' })).status).toBe(404)
    const viewer = await stack.act(id, 'withdraw', { reason: 'customer cancelled' }, VIEWER)
    expect(viewer.status).toBe(403)
    expect((await readJson(viewer)).error.code).toBe('ROLE_OPERATOR_REQUIRED')
    expect(await statusOf(id)).toBe('failed')
  })
})
