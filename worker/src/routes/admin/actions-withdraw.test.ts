// POST /api/admin/applications/:id/withdraw: an application not (and not possibly) in DingTalk
// ended as withdrawn, once; one awaiting approval ended in DingTalk first (terminate), then here,
// and DingTalk's terminate event that follows changes nothing.
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { operatorEvents, startActionStack, type ActionStack } from '../../../test/admin-actions.ts'
import { seedApplication } from '../../../test/admin-seed.ts'
import { OPERATOR, VIEWER } from '../../../test/fake-access.ts'
import { alertOf, call, eventRequest, readJson, row, rows, runCron } from '../../../test/helpers.ts'
import { monthOf } from '../../db/api-usage.ts'
import { MAX_REMARK_CODE_POINTS } from '../../actions/withdraw.ts'

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

  it('refuses one whose create may be in flight (a lost answer, a submit holding its lease) with 409 WITHDRAW_SUBMIT_IN_FLIGHT', async () => {
    const stack = await startActionStack()
    const lost = await seedApplication({ status: 'submitted' })
    await env.DB.prepare('UPDATE applications SET submit_outcome_unknown_at = ?2, next_submit_at = ?2 WHERE id = ?1').bind(lost, Date.now()).run()
    const leased = await seedApplication({ status: 'submitted' })
    await env.DB.prepare('UPDATE applications SET next_submit_at = ?2 WHERE id = ?1').bind(leased, Date.now() + 60_000).run()
    for (const id of [lost, leased]) {
      const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
      expect(response.status, id).toBe(409)
      expect(await readJson(response)).toEqual({ error: { code: 'WITHDRAW_SUBMIT_IN_FLIGHT', message: expect.any(String) }, status: 'submitted' })
    }
    expect(await statusOf(lost)).toBe('submitted')
    expect(await statusOf(leased)).toBe('submitted')
    expect(stack.upstream.relayCalls).toHaveLength(0)
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

const terminateEvent = (instanceId: string, eventId = crypto.randomUUID()) => ({
  EventType: 'bpms_instance_change',
  processInstanceId: instanceId,
  type: 'terminate',
  corpId: 'dingtest',
  staffId: env.DINGTALK_ORIGINATOR_USER_ID,
  processCode: env.DINGTALK_PROCESS_CODE,
  createTime: Date.now() - 60_000,
  finishTime: Date.now(),
  eventId,
})
const apiCalls = async () => (await row<{ calls: number }>('SELECT calls FROM api_usage WHERE month = ?1', monthOf(Date.now())))?.calls ?? 0
const eventsOf = (id: string) => rows<{ type: string; to_status: string | null }>('SELECT type, to_status FROM events WHERE application_id = ?1 ORDER BY created_at, rowid', id)

describe('POST /api/admin/applications/:id/withdraw of one awaiting approval (terminate in DingTalk)', () => {
  let stack: ActionStack
  let id: string
  let instanceId: string
  beforeEach(async () => {
    // D1 is shared by the file's tests: the counters and alerts asserted on start empty; events are
    // append-only (a trigger), so each test has its own application and instance instead.
    await env.DB.batch(['alerts', 'alert_notices', 'api_usage'].map((table) => env.DB.prepare(`DELETE FROM ${table}`)))
    stack = await startActionStack()
    instanceId = `inst-${crypto.randomUUID()}`
    id = await seedApplication({ status: 'pending_approval', dingtalkInstanceId: instanceId })
    stack.upstream.seedInstance(instanceId)
  })

  it('terminates the instance as the originator with the reason as remark, then records one operator.withdraw', async () => {
    const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled the order', idempotencyKey: 'wt-1' })
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ applicationId: id, status: 'withdrawn', duplicate: false, terminated: true })
    expect(stack.upstream.terminates).toEqual([
      { processInstanceId: instanceId, isSystem: false, remark: 'customer cancelled the order', operatingUserId: env.DINGTALK_ORIGINATOR_USER_ID },
    ])
    expect(stack.upstream.instances.get(instanceId)?.status).toBe('TERMINATED')
    expect(await statusOf(id)).toBe('withdrawn')
    expect(await operatorEvents(id)).toEqual([
      expect.objectContaining({
        type: 'operator.withdraw',
        from_status: 'pending_approval',
        to_status: 'withdrawn',
        data: { operator: OPERATOR, reason: 'customer cancelled the order', terminated: true, instanceId },
      }),
    ])
    // Counted against DingTalk's monthly quota like every call; no mail to the applicant (as DingTalk's own terminate).
    expect(await apiCalls()).toBe(1)
    expect(await rows('SELECT id FROM deliveries WHERE application_id = ?1', id)).toEqual([])
    expect(await row<{ next_poll_at: number | null }>('SELECT next_poll_at FROM applications WHERE id = ?1', id)).toEqual({ next_poll_at: null })
  })

  it("answers DingTalk's terminate event that follows as a duplicate: no second event, no status change, no EVENT_NOT_RECORDED", async () => {
    expect((await stack.act(id, 'withdraw', { reason: 'customer cancelled' })).status).toBe(200)
    const before = await eventsOf(id)
    const pushed = await call(await eventRequest(terminateEvent(instanceId)), stack.access.env)
    expect(pushed.status).toBe(200)
    expect(await readJson(pushed)).toEqual({ duplicate: true })
    // The poll path's event (no eventId) dedupes on the same key.
    const polled = await call(await eventRequest({ ...terminateEvent(instanceId), eventId: undefined }), stack.access.env)
    expect(await readJson(polled)).toEqual({ duplicate: true })
    expect(await eventsOf(id)).toEqual(before)
    expect(before.filter((e) => e.to_status === 'withdrawn')).toEqual([{ type: 'operator.withdraw', to_status: 'withdrawn' }])
    expect(await statusOf(id)).toBe('withdrawn')
    expect(await alertOf('EVENT_NOT_RECORDED', instanceId)).toBeNull()
  })

  it('terminates once for the same key twice, and answers the repeat 200 duplicate without calling DingTalk', async () => {
    const body = { reason: 'customer cancelled', idempotencyKey: 'wt-2' }
    expect((await stack.act(id, 'withdraw', body)).status).toBe(200)
    const again = await stack.act(id, 'withdraw', body)
    expect(again.status).toBe(200)
    expect(await readJson(again)).toEqual({ applicationId: id, status: 'withdrawn', duplicate: true })
    expect(stack.upstream.terminates).toHaveLength(1)
    expect(await operatorEvents(id)).toHaveLength(1)
  })

  it(`cuts a long reason to ${MAX_REMARK_CODE_POINTS} code points for DingTalk's remark (its limit is 1024) and keeps it whole in the event`, async () => {
    const reason = '撤'.repeat(500)
    expect((await stack.act(id, 'withdraw', { reason })).status).toBe(200)
    const remark = stack.upstream.terminates[0].remark as string
    expect([...remark]).toHaveLength(MAX_REMARK_CODE_POINTS)
    expect(remark.endsWith('…')).toBe(true)
    expect((await operatorEvents(id))[0].data.reason).toBe(reason)
  })

  it('refuses with 409 WITHDRAW_TOO_LATE when DingTalk has already decided, and leaves the decision to the event and poll path', async () => {
    stack.upstream.finish(instanceId, 'COMPLETED', 'agree')
    const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
    expect(response.status).toBe(409)
    expect(await readJson(response)).toEqual({ error: { code: 'WITHDRAW_TOO_LATE', message: expect.any(String) }, status: 'pending_approval' })
    expect(await statusOf(id)).toBe('pending_approval')
    expect(await eventsOf(id)).toEqual([])
    // terminate, then the read that told "ended" from "too soon": both counted.
    expect(stack.upstream.relayCalls.map((c) => c.method)).toEqual(['POST', 'GET'])
    expect(await apiCalls()).toBe(2)
  })

  it('refuses with 409 WITHDRAW_RETRY_LATER and a Retry-After while DingTalk says the instance is too young to withdraw', async () => {
    stack.upstream.terminateErrors.push({ status: 400, code: 'aflowProcessInstStatusException', message: '提交审批单后15秒内不能进行撤回' })
    const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
    expect(response.status).toBe(409)
    const body = await readJson(response)
    expect(body).toEqual({ error: { code: 'WITHDRAW_RETRY_LATER', message: expect.any(String) }, status: 'pending_approval', retryAfterSeconds: expect.any(Number) })
    expect(body.retryAfterSeconds).toBeGreaterThanOrEqual(1)
    expect(body.retryAfterSeconds).toBeLessThanOrEqual(15)
    expect(response.headers.get('retry-after')).toBe(String(body.retryAfterSeconds))
    expect(await statusOf(id)).toBe('pending_approval')
    expect(await eventsOf(id)).toEqual([])
    // Later it goes through.
    expect((await stack.act(id, 'withdraw', { reason: 'customer cancelled' })).status).toBe(200)
  })

  it('withdraws one DingTalk already terminated (say, its answer was lost) instead of failing, marked alreadyTerminated', async () => {
    stack.upstream.terminateAnswersLost = 1
    const lost = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
    expect(lost.status).toBe(503)
    expect((await readJson(lost)).error.code).toBe('DINGTALK_UNAVAILABLE')
    expect(await statusOf(id)).toBe('pending_approval')
    const again = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
    expect(again.status).toBe(200)
    expect(await readJson(again)).toMatchObject({ status: 'withdrawn', duplicate: false, terminated: true })
    expect((await operatorEvents(id)).map((e) => e.data)).toEqual([{ operator: OPERATOR, reason: 'customer cancelled', terminated: true, instanceId, alreadyTerminated: true }])
  })

  it('answers 503 DINGTALK_UNAVAILABLE and changes nothing when the proxy or DingTalk cannot be reached', async () => {
    for (const mode of ['unreachable', 'proxy-down'] as const) {
      stack.upstream.dingtalk = mode
      const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
      expect(response.status, mode).toBe(503)
      expect((await readJson(response)).error.code, mode).toBe('DINGTALK_UNAVAILABLE')
    }
    expect(await statusOf(id)).toBe('pending_approval')
    expect(await eventsOf(id)).toEqual([])
    expect(stack.upstream.instances.get(instanceId)?.status).toBe('RUNNING')
  })

  it("answers 502 WITHDRAW_NOT_PERMITTED when DingTalk's template does not let the originator withdraw (internalError, 820008)", async () => {
    stack.upstream.terminateErrors.push({ status: 400, code: 'internalError', message: '审批系统错误' })
    const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
    expect(response.status).toBe(502)
    expect((await readJson(response)).error.code).toBe('WITHDRAW_NOT_PERMITTED')
    expect(await statusOf(id)).toBe('pending_approval')
  })

  it("answers 502 DINGTALK_REJECTED for DingTalk's other refusals (no such instance) and changes nothing", async () => {
    stack.upstream.instances.delete(instanceId)
    const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled' })
    expect(response.status).toBe(502)
    expect((await readJson(response)).error.code).toBe('DINGTALK_REJECTED')
    expect(await statusOf(id)).toBe('pending_approval')
  })

  it("keeps who asked and why when DingTalk's terminate event got here before the terminate's answer", async () => {
    // DingTalk pushes its event, and the worker records it, before the terminate's answer arrives.
    stack.upstream.beforeTerminateAnswer = async () => {
      expect((await call(await eventRequest(terminateEvent(instanceId)), stack.access.env)).status).toBe(200)
    }
    const response = await stack.act(id, 'withdraw', { reason: 'customer cancelled', idempotencyKey: 'wt-race' })
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ applicationId: id, status: 'withdrawn', duplicate: false, terminated: true })
    // The event moved it; the operator's withdraw is kept as a note (dated when it was asked).
    const events = await eventsOf(id)
    expect(events).toHaveLength(2)
    expect(events).toEqual(expect.arrayContaining([{ type: 'dingtalk.terminate', to_status: 'withdrawn' }, { type: 'operator.withdraw', to_status: null }]))
    expect((await operatorEvents(id))[0].data).toEqual({ operator: OPERATOR, reason: 'customer cancelled', terminated: true, instanceId })
    const again = await stack.act(id, 'withdraw', { reason: 'customer cancelled', idempotencyKey: 'wt-race' })
    expect(await readJson(again)).toMatchObject({ duplicate: true })
    expect(await eventsOf(id)).toHaveLength(2)
  })
})
