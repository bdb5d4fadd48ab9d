import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../test/fake-upstream.ts'
import { alertOf, call, eventRequest, finishEvent, readJson, row, rows, runCron, submit, validApplication } from '../test/helpers.ts'

let fake: FakeUpstream
beforeEach(async () => {
  fake = new FakeUpstream()
  fake.install()
  await env.DB.prepare(`UPDATE applications SET status = 'failed' WHERE status = 'submitted'`).run()
  await env.DB.prepare('DELETE FROM worker_state').run()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const quick = { ...env, SUBMIT_ANSWER_WITHIN_MS: '3000', POLL_BATCH: '0' }
const sendEvent = async (event: unknown) => call(await eventRequest(event))
const appRow = (id: string) => row<{ status: string; dingtalk_instance_id: string | null }>('SELECT * FROM applications WHERE id = ?1', id)
const instanceOf = (id: string) => [...fake.instances.values()].find((i) => i.body.formComponentValues.some((v) => v.value === id))!
const flag = () => row(`SELECT value FROM worker_state WHERE key = 'push_missed_suspected'`)

/** An application whose create reached DingTalk but whose answer was lost: the worker knows no instance. */
async function lost() {
  fake.createOutcomes.push('timeout-after-create')
  const body = validApplication()
  const created = await readJson(await submit(body, {}, quick))
  return { id: created.id as string, email: body.email, instanceId: instanceOf(created.id).id }
}

describe('POST /internal/events: an event for an instance the worker does not know', () => {
  it('ignores an event of another process cheaply (no call to DingTalk)', async () => {
    const response = await sendEvent({ ...finishEvent('inst-elsewhere', 'agree'), processCode: 'PROC-OTHER' })
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ ignored: true })
    expect(fake.relayCalls).toHaveLength(0)
  })

  it('adopts the instance of a still-submitted application and applies the approval: license mailed once', async () => {
    const app = await lost()
    const response = await sendEvent({ ...finishEvent(app.instanceId, 'agree'), processCode: env.DINGTALK_PROCESS_CODE })
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ recorded: true })
    expect(await appRow(app.id)).toMatchObject({ status: 'delivered', dingtalk_instance_id: app.instanceId })
    expect(fake.emails.filter((e) => e.payload.to === app.email)).toHaveLength(1)
    const adopted = await rows<{ data: string }>(`SELECT data FROM events WHERE application_id = ?1 AND type = 'dingtalk.instance_adopted'`, app.id)
    expect(JSON.parse(adopted[0].data)).toMatchObject({ instanceId: app.instanceId, reason: 'event' })
  })

  it('records a second instance of an application that has one, answers 200 and alerts the operator', async () => {
    const app = await lost()
    await env.DB.prepare(`UPDATE applications SET status = 'pending_approval', dingtalk_instance_id = ?2 WHERE id = ?1`).bind(app.id, 'inst-first').run()
    const errors = vi.spyOn(console, 'error')
    const response = await sendEvent(finishEvent(app.instanceId, 'agree'))
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ ignored: true, duplicateInstance: true })
    expect(await appRow(app.id)).toMatchObject({ status: 'pending_approval', dingtalk_instance_id: 'inst-first' })
    expect(await rows(`SELECT 1 FROM events WHERE application_id = ?1 AND type = 'dingtalk.duplicate_instance'`, app.id)).toHaveLength(1)
    expect(errors.mock.calls.some(([line]) => String(line).includes('DUPLICATE_INSTANCE'))).toBe(true)
    expect(JSON.parse((await alertOf('DUPLICATE_INSTANCE', app.instanceId))!.details)).toMatchObject({ application: app.id, recordedInstance: 'inst-first' })
  })

  it('ignores an instance whose form carries no application number of ours', async () => {
    fake.foreignInstances.push({
      id: 'inst-foreign',
      body: { processCode: env.DINGTALK_PROCESS_CODE, originatorUserId: 'someone', deptId: 1, formComponentValues: [{ name: '申请编号', value: 'LD-NOTOURS' }] },
      status: 'COMPLETED',
      result: 'agree',
      createdAt: Date.now(),
    })
    const response = await sendEvent(finishEvent('inst-foreign', 'agree'))
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ ignored: true })
    expect((await sendEvent(finishEvent('inst-nowhere', 'agree'))).status).toBe(200)
  })

  it('flags missed pushes whenever it refuses an event (e.g. a bad proof), so the failed-push list is read', async () => {
    const request = await eventRequest(finishEvent('inst-any', 'agree'))
    request.headers.delete('proof')
    expect((await call(request)).status).toBe(401)
    expect(await flag()).not.toBeNull()
  })

  it('answers 503 EVENT_NOT_RESOLVED when DingTalk cannot be asked, so the proxy does not ack, and flags missed pushes', async () => {
    const app = await lost()
    fake.dingtalk = 'unreachable'
    const response = await sendEvent(finishEvent(app.instanceId, 'agree'))
    expect(response.status).toBe(503)
    expect((await readJson(response)).error.code).toBe('EVENT_NOT_RESOLVED')
    expect(await appRow(app.id)).toMatchObject({ status: 'submitted' })
    expect(await flag()).not.toBeNull()
    fake.dingtalk = 'up'
    expect((await sendEvent(finishEvent(app.instanceId, 'agree'))).status).toBe(200)
    expect((await appRow(app.id))!.status).toBe('delivered')
  })
})

describe('cron: DingTalk failed-push list', () => {
  async function pending() {
    const body = validApplication()
    const created = await readJson(await submit(body))
    return { id: created.id as string, instanceId: (await appRow(created.id))!.dingtalk_instance_id! }
  }
  const listCalls = () => fake.relayCalls.filter((c) => c.target === '/relay/oapi/call_back/get_call_back_failed_result')

  it('reads every page when pushes were suspected missed, applies entries naming an instance, and clears the flag', async () => {
    const app = await pending()
    fake.finish(app.instanceId, 'COMPLETED', 'agree')
    await env.DB.prepare(`INSERT INTO worker_state (key, value, updated_at) VALUES ('push_missed_suspected', '1', 1)`).run()
    fake.failedPushPages.push(
      [{ call_back_tag: 'bpms_instance_change', event_time: Date.now(), bpms_instance_change: { bpmsCallBackData: {}, corpid: 'x' } }],
      [
        {
          call_back_tag: 'bpms_instance_change',
          event_time: Date.now(),
          bpms_instance_change: { bpmsCallBackData: { processInstanceId: app.instanceId, type: 'finish', result: 'agree' }, corpid: 'x' },
        },
      ],
    )
    await runCron(Date.now(), { ...env, POLL_BATCH: '0' })
    expect(listCalls()).toHaveLength(2)
    expect((await appRow(app.id))!.status).toBe('delivered')
    expect(await flag()).toBeNull()
  })

  it('does not read the list while nothing suggests a missed push and the last look is recent', async () => {
    await pending()
    await env.DB.prepare(`INSERT INTO worker_state (key, value, updated_at) VALUES ('failed_pushes_checked_at', ?1, 1)`).bind(String(Date.now())).run()
    await runCron(Date.now() + 60_000)
    expect(listCalls()).toHaveLength(0)
    await runCron(Date.now() + 7 * 3_600_000)
    expect(listCalls()).toHaveLength(1)
  })

  it('makes the polls due now when an entry carries no instance id', async () => {
    const app = await pending()
    await env.DB.prepare(`INSERT INTO worker_state (key, value, updated_at) VALUES ('push_missed_suspected', '1', 1)`).run()
    fake.failedPushPages.push([{ call_back_tag: 'bpms_instance_change', event_time: 1, bpms_instance_change: { bpmsCallBackData: {} } }])
    const now = Date.now()
    await runCron(now, { ...env, POLL_BATCH: '0' })
    const polled = await row<{ next_poll_at: number }>('SELECT next_poll_at FROM applications WHERE id = ?1', app.id)
    expect(polled!.next_poll_at).toBe(now)
  })
})
