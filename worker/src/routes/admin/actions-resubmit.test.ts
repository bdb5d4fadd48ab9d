// POST /api/admin/applications/:id/resubmit: a failed (or stuck) application submitted to DingTalk
// again, once per key, and never a second instance: one DingTalk may hold already is adopted.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { operatorEvents, startActionStack, type ActionStack } from '../../../test/admin-actions.ts'
import { seedApplication, seedLicense } from '../../../test/admin-seed.ts'
import { OPERATOR, VIEWER } from '../../../test/fake-access.ts'
import { readJson, row, submit, validApplication } from '../../../test/helpers.ts'
import { env } from 'cloudflare:workers'

afterEach(() => vi.restoreAllMocks())

const quick = { RELAY_TIMEOUT_MS: '1000', SUBMIT_ANSWER_WITHIN_MS: '3000', POLL_BATCH: '0' }
const creates = (stack: ActionStack) => stack.upstream.relayCalls.filter((c) => c.method === 'POST' && c.target === '/relay/api/v1.0/workflow/processInstances')
const appRow = (id: string) => row<{ status: string; dingtalk_instance_id: string | null; submit_attempts: number }>('SELECT status, dingtalk_instance_id, submit_attempts FROM applications WHERE id = ?1', id)

describe('POST /api/admin/applications/:id/resubmit', () => {
  it('submits a failed application to DingTalk once and records who and why', async () => {
    const stack = await startActionStack(quick)
    const id = await seedApplication({ status: 'failed', lastError: 'processCodeError: bad process' })
    const response = await stack.act(id, 'resubmit', { reason: 'process code fixed', idempotencyKey: 'r-1' })
    expect(response.status).toBe(202)
    expect(await readJson(response)).toEqual({ applicationId: id, status: 'submitted', duplicate: false })
    expect(creates(stack)).toHaveLength(1)
    const after = await appRow(id)
    expect(after).toMatchObject({ status: 'pending_approval', dingtalk_instance_id: expect.any(String), submit_attempts: 1 })
    const [event] = await operatorEvents(id)
    expect(event).toMatchObject({ type: 'operator.resubmit', source: 'operator', from_status: 'failed', to_status: 'submitted', data: { operator: OPERATOR, reason: 'process code fixed', searchFirst: false } })
  })

  it('makes one submission for the same key sent twice, and refuses it once the instance exists', async () => {
    const stack = await startActionStack(quick)
    const id = await seedApplication({ status: 'failed' })
    expect((await stack.act(id, 'resubmit', { reason: 'process code fixed', idempotencyKey: 'r-2' })).status).toBe(202)
    const again = await stack.act(id, 'resubmit', { reason: 'process code fixed', idempotencyKey: 'r-2' })
    expect(again.status).toBe(200)
    expect(await readJson(again)).toMatchObject({ duplicate: true })
    expect(creates(stack)).toHaveLength(1)
    expect(await operatorEvents(id, 'operator.resubmit')).toHaveLength(1)
    // A new key, now that DingTalk holds its instance: refused, nothing created.
    const other = await stack.act(id, 'resubmit', { reason: 'process code fixed', idempotencyKey: 'r-3' })
    expect(other.status).toBe(409)
    expect(await readJson(other)).toEqual({ error: { code: 'RESUBMIT_NOT_ALLOWED', message: expect.any(String) }, status: 'pending_approval' })
    expect(creates(stack)).toHaveLength(1)
  })

  it('adopts the instance of a lost create instead of creating a second one', async () => {
    const stack = await startActionStack(quick)
    stack.upstream.createOutcomes.push('timeout-after-create')
    const saved = await readJson(await submit(validApplication(), {}, { ...env, ...quick }))
    const id = saved.id as string
    expect(creates(stack)).toHaveLength(1)
    const [instance] = [...stack.upstream.instances.values()].filter((i) => i.body.formComponentValues.some((v) => v.value === id))
    // As if the submission had been given up since, SUBMIT_ADOPT_AFTER_MS ago (DingTalk is done creating).
    await env.DB.prepare(`UPDATE applications SET status = 'failed', next_submit_at = NULL, submit_outcome_unknown_at = submit_outcome_unknown_at - 120000 WHERE id = ?1`).bind(id).run()
    const response = await stack.act(id, 'resubmit', { reason: 'DingTalk was down' })
    expect(response.status).toBe(202)
    expect(creates(stack)).toHaveLength(1)
    expect(await appRow(id)).toMatchObject({ status: 'pending_approval', dingtalk_instance_id: instance.id })
    expect((await operatorEvents(id))[0].data).toMatchObject({ searchFirst: true })
  })

  it('searches DingTalk first for a failed application that was tried before, then creates it once', async () => {
    const stack = await startActionStack(quick)
    // Given up a day after it came in.
    const id = await seedApplication({ status: 'failed', createdAt: Date.now() - 86_400_000 })
    await env.DB.prepare('UPDATE applications SET submit_attempts = 3 WHERE id = ?1').bind(id).run()
    expect((await stack.act(id, 'resubmit', { reason: 'DingTalk was down' })).status).toBe(202)
    expect(stack.upstream.listQueries.length).toBeGreaterThan(0)
    expect(creates(stack)).toHaveLength(1)
    expect((await appRow(id))?.status).toBe('pending_approval')
  })

  it('makes a stuck submitted application due now', async () => {
    const stack = await startActionStack(quick)
    const id = await seedApplication({ status: 'submitted' })
    await env.DB.prepare('UPDATE applications SET next_submit_at = ?2 WHERE id = ?1').bind(id, Date.now() + 6 * 3_600_000).run()
    expect((await stack.act(id, 'resubmit', { reason: 'waited long enough' })).status).toBe(202)
    expect(creates(stack)).toHaveLength(1)
    expect((await appRow(id))?.status).toBe('pending_approval')
  })

  it('refuses other states with 409 RESUBMIT_NOT_ALLOWED', async () => {
    const stack = await startActionStack(quick)
    for (const status of ['pending_approval', 'approved', 'delivered', 'rejected', 'withdrawn']) {
      const id = await seedApplication({ status, dingtalkInstanceId: status === 'withdrawn' ? null : `inst-${crypto.randomUUID()}` })
      const response = await stack.act(id, 'resubmit', { reason: 'try again please' })
      expect(response.status, status).toBe(409)
      expect((await readJson(response)).error.code, status).toBe('RESUBMIT_NOT_ALLOWED')
    }
    // Failed while mailing its license: decided in DingTalk, Resend is the action for it.
    const mailed = await seedApplication({ status: 'failed' })
    await seedLicense(mailed, { exp: Math.floor(Date.now() / 1000) + 86_400 })
    expect((await readJson(await stack.act(mailed, 'resubmit', { reason: 'try again please' }))).error.code).toBe('RESUBMIT_NOT_ALLOWED')
    expect(creates(stack)).toHaveLength(0)
  })

  it('answers a missing reason with 400, an unknown id with 404 and a viewer with 403', async () => {
    const stack = await startActionStack(quick)
    const id = await seedApplication({ status: 'failed' })
    const missing = await stack.act(id, 'resubmit', {})
    expect(missing.status).toBe(400)
    expect((await readJson(missing)).error.fields).toEqual({ reason: 'REQUIRED' })
    expect((await stack.act('LD-NOSUCHAPP000', 'resubmit', { reason: 'try again please' })).status).toBe(404)
    const viewer = await stack.act(id, 'resubmit', { reason: 'try again please' }, VIEWER)
    expect(viewer.status).toBe(403)
    expect((await readJson(viewer)).error.code).toBe('ROLE_OPERATOR_REQUIRED')
    expect(creates(stack)).toHaveLength(0)
    expect((await appRow(id))?.status).toBe('failed')
  })
})
