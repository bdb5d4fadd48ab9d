// DingTalk's terminate (撤销, dingtalk.md §3.3; revoke-an-approval-instance): only RUNNING
// instances, not within the minimum age, only when the template allows it; the instance becomes
// TERMINATED and the `terminate` event is pushed (HTTP or Stream) like a finish.
import { afterEach, describe, expect, it } from 'vitest'
import { defineSandboxConfig, readSandboxConfig, type SandboxConfigInput } from './config.ts'
import { connectNew, type TestClient } from './stream/test-client.ts'
import { call, createInstance, eventually, startReceiver, startSandbox, tokenFor, type FakeReceiver, type TestSandbox } from './test-support.ts'

const TERMINATE = '/v1.0/workflow/processInstances/terminate'

let sandbox: TestSandbox | undefined
let receiver: FakeReceiver | undefined
let client: TestClient | undefined
afterEach(async () => {
  await client?.close()
  await sandbox?.close()
  await receiver?.close()
  sandbox = receiver = client = undefined
})

let clock = Date.UTC(2026, 10, 2, 3, 0)
async function setUp(input: SandboxConfigInput = {}) {
  clock = Date.UTC(2026, 10, 2, 3, 0)
  sandbox = await startSandbox(input, { now: () => clock })
  return { sandbox, token: await tokenFor(sandbox) }
}

async function terminate(s: TestSandbox, token: string, body: Record<string, unknown>) {
  return call(s.url, TERMINATE, { body, headers: { 'x-acs-dingtalk-access-token': token } })
}

const byOriginator = (id: string, extra: Record<string, unknown> = {}) => ({ processInstanceId: id, isSystem: false, remark: '客户撤回申请', operatingUserId: 'user-1', ...extra })

describe('POST /v1.0/workflow/processInstances/terminate', () => {
  it('terminates a RUNNING instance of the originator after 15 s: {result:true, success:true}, TERMINATED, a TERMINATE record', async () => {
    const { sandbox, token } = await setUp()
    const id = await createInstance(sandbox)
    clock += 15_000
    const res = await terminate(sandbox, token, byOriginator(id))
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ result: true, success: true })
    const instance = sandbox.state.instances.get(id)!
    expect(instance.status).toBe('TERMINATED')
    expect(instance.finishTime).toBe(clock)
    expect(instance.tasks.every((task) => task.status === 'CANCELED')).toBe(true)
    expect(instance.operationRecords.at(-1)).toMatchObject({ userId: 'user-1', type: 'TERMINATE_PROCESS_INSTANCE', remark: '客户撤回申请' })
    const view = await call(sandbox.url, `/v1.0/workflow/processInstances?processInstanceId=${id}`, { headers: { 'x-acs-dingtalk-access-token': token } })
    expect(view.body.result).toMatchObject({ status: 'TERMINATED', result: '' })
  })

  it('refuses a terminate within 15 s of the create with 400 aflowProcessInstStatusException and leaves it RUNNING', async () => {
    const { sandbox, token } = await setUp()
    const id = await createInstance(sandbox)
    clock += 14_999
    const res = await terminate(sandbox, token, byOriginator(id))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ requestid: expect.any(String), code: 'aflowProcessInstStatusException', message: expect.stringContaining('15秒') })
    expect(sandbox.state.instances.get(id)?.status).toBe('RUNNING')
  })

  it('takes the minimum age from DINGTALK_TERMINATE_MIN_AGE_MS (15000 by default; 0 lets tests terminate at once)', async () => {
    expect(defineSandboxConfig().dingtalk.terminateMinAgeMs).toBe(15_000)
    expect(readSandboxConfig({ DINGTALK_TERMINATE_MIN_AGE_MS: '0' }).dingtalk.terminateMinAgeMs).toBe(0)
    expect(() => readSandboxConfig({ DINGTALK_TERMINATE_MIN_AGE_MS: 'soon' })).toThrow(/DINGTALK_TERMINATE_MIN_AGE_MS/)
    const { sandbox, token } = await setUp({ dingtalk: { terminateMinAgeMs: 0 } })
    const id = await createInstance(sandbox)
    expect((await terminate(sandbox, token, byOriginator(id))).status).toBe(200)
  })

  it('refuses an instance that is no longer RUNNING (terminated or decided) with 400 aflowProcessInstStatusException', async () => {
    const { sandbox, token } = await setUp({ dingtalk: { terminateMinAgeMs: 0 } })
    const withdrawn = await createInstance(sandbox)
    expect((await terminate(sandbox, token, byOriginator(withdrawn))).status).toBe(200)
    const approved = await createInstance(sandbox)
    await call(sandbox.url, `/_sandbox/instances/${approved}/approve`, { method: 'POST' })
    for (const id of [withdrawn, approved]) {
      const res = await terminate(sandbox, token, byOriginator(id))
      expect([res.status, res.body.code]).toEqual([400, 'aflowProcessInstStatusException'])
    }
    expect(sandbox.state.instances.get(approved)).toMatchObject({ status: 'COMPLETED', result: 'agree' })
    const unknown = await terminate(sandbox, token, byOriginator('nope'))
    expect([unknown.status, unknown.body.code]).toEqual([400, 'aflowProcessInstNotExist'])
  })

  it("answers 400 internalError (820008) when the template does not allow 撤销, by config or by the withdrawForbidden fault", async () => {
    expect(readSandboxConfig({ DINGTALK_ALLOW_WITHDRAW: 'false' }).dingtalk.allowWithdraw).toBe(false)
    expect(defineSandboxConfig().dingtalk.allowWithdraw).toBe(true)
    const off = await setUp({ dingtalk: { terminateMinAgeMs: 0, allowWithdraw: false } })
    const a = await createInstance(off.sandbox)
    const refused = await terminate(off.sandbox, off.token, byOriginator(a))
    expect([refused.status, refused.body.code]).toEqual([400, 'internalError'])
    expect(refused.body.message).toContain('820008')
    expect(off.sandbox.state.instances.get(a)?.status).toBe('RUNNING')
    await off.sandbox.close()

    const on = await setUp({ dingtalk: { terminateMinAgeMs: 0 } })
    const b = await createInstance(on.sandbox)
    expect((await call(on.sandbox.url, '/_sandbox/faults', { body: { withdrawForbidden: true } })).body.data.withdrawForbidden).toBe(true)
    expect((await terminate(on.sandbox, on.token, byOriginator(b))).body.code).toBe('internalError')
    await call(on.sandbox.url, '/_sandbox/faults', { body: { withdrawForbidden: false } })
    expect((await terminate(on.sandbox, on.token, byOriginator(b))).status).toBe(200)
  })

  it('checks the body with the codes of the doc: no id, no isSystem, isSystem false without operator or by someone else', async () => {
    const { sandbox, token } = await setUp({ dingtalk: { terminateMinAgeMs: 0 } })
    const id = await createInstance(sandbox)
    const cases: [Record<string, unknown>, string][] = [
      [{ isSystem: false, operatingUserId: 'user-1' }, 'invalidInstanceId'],
      [{ processInstanceId: id, operatingUserId: 'user-1' }, 'invalidInstanceTerminateIsSystem'],
      [{ processInstanceId: id, isSystem: false }, 'invalidInstanceTerminateOperatingUserId'],
      [byOriginator(id, { remark: '撤'.repeat(1025) }), 'invalidParameter'],
      [byOriginator(id, { operatingUserId: 'manager1' }), 'internalError'],
    ]
    for (const [body, code] of cases) {
      const res = await terminate(sandbox, token, body)
      expect([res.status, res.body.code], code).toEqual([400, code])
    }
    expect(sandbox.state.instances.get(id)?.status).toBe('RUNNING')
    // The system may end it without naming the originator.
    expect((await terminate(sandbox, token, { processInstanceId: id, isSystem: true })).status).toBe(200)
  })

  it('pushes the terminate event over HTTP: bpms_instance_change, type terminate, finishTime, no result', async () => {
    receiver = await startReceiver(defineSandboxConfig())
    const { sandbox, token } = await setUp({ push: { url: receiver.url }, dingtalk: { terminateMinAgeMs: 0 } })
    const id = await createInstance(sandbox)
    await eventually(() => receiver!.received.length === 1, 'the start push')
    expect((await terminate(sandbox, token, byOriginator(id))).status).toBe(200)
    const push = await eventually(() => receiver!.received[1], 'the terminate push')
    expect(push.signatureValid).toBe(true)
    const event = JSON.parse(push.plaintext as string)
    expect(event).toMatchObject({ EventType: 'bpms_instance_change', processInstanceId: id, type: 'terminate', staffId: 'user-1', finishTime: clock })
    expect(event).not.toHaveProperty('result')
  })

  it('sends the terminate event as a Stream EVENT frame when SANDBOX_EVENTS=stream', async () => {
    const { sandbox, token } = await setUp({ events: 'stream', dingtalk: { terminateMinAgeMs: 0 } })
    client = await connectNew(sandbox)
    const id = await createInstance(sandbox)
    await eventually(() => client!.events().length === 1, 'the start frame')
    expect((await terminate(sandbox, token, byOriginator(id))).status).toBe(200)
    const frame = await eventually(() => client!.events()[1], 'the terminate frame')
    expect(frame.headers.eventType).toBe('bpms_instance_change')
    expect(JSON.parse(frame.data)).toMatchObject({ processInstanceId: id, type: 'terminate' })
  })

  it('shows the instance as TERMINATED on the sandbox console page', async () => {
    const { sandbox, token } = await setUp({ dingtalk: { terminateMinAgeMs: 0 } })
    const id = await createInstance(sandbox)
    await terminate(sandbox, token, byOriginator(id))
    const page = await fetch(`${sandbox.url}/console`)
    expect(await page.text()).toContain('TERMINATED')
  })
})
