import { afterEach, describe, expect, it } from 'vitest'
import { defineSandboxConfig } from './config.ts'
import { call, createInstance, eventually, startReceiver, startSandbox, tokenFor, type FakeReceiver, type TestSandbox } from './test-support.ts'

let sandbox: TestSandbox | undefined
let receiver: FakeReceiver | undefined
afterEach(async () => {
  await sandbox?.close()
  await receiver?.close()
  sandbox = receiver = undefined
})

async function setUp(mode: FakeReceiver['mode'] = 'success', push: { retryDelays?: number[]; timeoutMs?: number } = {}) {
  receiver = await startReceiver(defineSandboxConfig(), mode)
  sandbox = await startSandbox({ push: { url: receiver.url, ...push } })
  return { sandbox, receiver }
}

function plaintexts(r: FakeReceiver) {
  return r.received.map((push) => JSON.parse(push.plaintext ?? '{}'))
}

describe('HTTP pushes of bpms_instance_change', () => {
  it('pushes a start event when an instance is created', async () => {
    const { sandbox, receiver } = await setUp()
    const id = await createInstance(sandbox)
    const push = await eventually(() => receiver.received[0], 'the start push')
    expect(push.signatureValid).toBe(true)
    const event = JSON.parse(push.plaintext as string)
    expect(event).toMatchObject({ EventType: 'bpms_instance_change', processInstanceId: id, type: 'start', staffId: 'user-1' })
    expect(event).not.toHaveProperty('result')
    expect(event).not.toHaveProperty('finishTime')
  })

  it('delivers an approval as an encrypted, signed push with the flat plaintext, and stops after a valid success', async () => {
    const { sandbox, receiver } = await setUp()
    const id = await createInstance(sandbox)
    await eventually(() => receiver.received.length === 1, 'the start push')
    const approved = await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { method: 'POST' })
    expect(approved.status).toBe(200)
    expect(approved.body.data).toMatchObject({ id, status: 'COMPLETED', result: 'agree' })

    const push = await eventually(() => receiver.received[1], 'the finish push')
    expect(push.query.get('signature')).toMatch(/^[0-9a-f]{40}$/)
    expect(push.query.get('timestamp')).toMatch(/^\d{13}$/)
    expect(push.query.get('nonce')).toMatch(/^[A-Za-z0-9]{8}$/)
    expect(push.query.has('msg_signature')).toBe(false)
    expect(Object.keys(push.body)).toEqual(['encrypt'])
    expect(push.signatureValid).toBe(true)
    const instance = sandbox.state.instances.get(id)!
    const event = JSON.parse(push.plaintext as string)
    expect(event).toEqual({
      EventType: 'bpms_instance_change',
      processInstanceId: id,
      corpId: sandbox.config.dingtalk.corpId,
      createTime: instance.createTime,
      finishTime: instance.finishTime,
      title: instance.title,
      type: 'finish',
      staffId: 'user-1',
      url: expect.stringContaining(id),
      result: 'agree',
      processCode: sandbox.config.dingtalk.processCode,
      bizCategoryId: '',
      businessId: instance.businessId,
      businessType: '',
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
    const delivery = await eventually(() => sandbox.state.deliveries.find((d) => d.type === 'finish' && d.status === 'delivered'), 'delivered status')
    expect(delivery.attempts).toHaveLength(1)
    await new Promise((done) => setTimeout(done, 350)) // past both (shortened) retry delays
    expect(receiver.received).toHaveLength(2)
  })

  it('pushes refuse on rejection and terminate without a result on withdrawal', async () => {
    const { sandbox, receiver } = await setUp()
    const rejected = await createInstance(sandbox)
    const withdrawn = await createInstance(sandbox)
    await call(sandbox.url, `/_sandbox/instances/${rejected}/reject`, { method: 'POST' })
    await call(sandbox.url, `/_sandbox/instances/${withdrawn}/terminate`, { method: 'POST' })
    await eventually(() => receiver.received.length === 4, 'four pushes')
    const events = plaintexts(receiver)
    expect(events.find((e) => e.processInstanceId === rejected && e.type === 'finish')).toMatchObject({ result: 'refuse' })
    const terminate = events.find((e) => e.processInstanceId === withdrawn && e.type === 'terminate')
    expect(terminate).toMatchObject({ finishTime: expect.any(Number) })
    expect(terminate).not.toHaveProperty('result')
  })

  it('uses the msg_signature/timeStamp spelling when asked, or both', async () => {
    const { sandbox, receiver } = await setUp()
    const first = await createInstance(sandbox)
    const second = await createInstance(sandbox)
    await eventually(() => receiver.received.length === 2, 'start pushes')
    await call(sandbox.url, `/_sandbox/instances/${first}/approve`, { body: { spelling: 'msg_signature' } })
    const push = await eventually(() => receiver.received[2], 'the finish push')
    expect(push.query.has('msg_signature')).toBe(true)
    expect(push.query.has('timeStamp')).toBe(true)
    expect(push.query.has('signature')).toBe(false)
    expect(push.query.has('timestamp')).toBe(false)
    expect(push.signatureValid).toBe(true)
    await call(sandbox.url, `/_sandbox/instances/${second}/approve`, { body: { spelling: 'both' } })
    const both = await eventually(() => receiver.received[3], 'the second finish push')
    expect(['signature', 'timestamp', 'msg_signature', 'timeStamp'].every((name) => both.query.has(name))).toBe(true)
  })

  it('retries a failing receiver on the schedule, then lists the event in get_call_back_failed_result', async () => {
    const { sandbox, receiver } = await setUp('status500', { retryDelays: [150, 300] })
    const id = await createInstance(sandbox)
    await eventually(() => receiver.received.length === 3, 'three start attempts', 3_000)
    const [a, b, c] = receiver.received.map((push) => push.at)
    expect(b - a).toBeGreaterThanOrEqual(140)
    expect(c - b).toBeGreaterThanOrEqual(290)
    const delivery = await eventually(() => sandbox.state.deliveries.find((d) => d.status === 'failed'), 'failed status')
    expect(delivery.attempts.map((attempt) => [attempt.statusCode, attempt.outcome])).toEqual([
      [500, 'http_error'],
      [500, 'http_error'],
      [500, 'http_error'],
    ])
    await new Promise((done) => setTimeout(done, 400))
    expect(receiver.received).toHaveLength(3)

    const token = await tokenFor(sandbox)
    const failed = await call(sandbox.url, `/call_back/get_call_back_failed_result?access_token=${token}`)
    expect(failed.status).toBe(200)
    expect(failed.body).toMatchObject({ errcode: 0, errmsg: 'ok', has_more: false })
    expect(failed.body.failed_list).toEqual([
      {
        call_back_tag: 'bpms_instance_change',
        event_time: expect.any(Number),
        bpms_instance_change: {
          bpmsCallBackData: expect.objectContaining({ processInstanceId: id, type: 'start' }),
          corpid: sandbox.config.dingtalk.corpId,
        },
      },
    ])
    const again = await call(sandbox.url, `/call_back/get_call_back_failed_result?access_token=${token}`)
    expect(again.body.failed_list).toEqual([])
  })

  it('treats a reply that is not the encrypted success as a failure', async () => {
    for (const mode of ['plain-success', 'wrong-signature'] as const) {
      const { sandbox, receiver } = await setUp(mode, { retryDelays: [] })
      await createInstance(sandbox)
      const delivery = await eventually(() => sandbox.state.deliveries.find((d) => d.status === 'failed'), `failure for ${mode}`)
      expect(delivery.attempts[0]).toMatchObject({ statusCode: 200, outcome: 'bad_reply' })
      await sandbox.close()
      await receiver.close()
    }
    sandbox = receiver = undefined
  })

  it('gives up on a receiver that answers after the timeout', async () => {
    const { sandbox } = await setUp('slow', { retryDelays: [], timeoutMs: 200 })
    await createInstance(sandbox)
    const delivery = await eventually(() => sandbox.state.deliveries.find((d) => d.status === 'failed'), 'timeout failure')
    expect(delivery.attempts[0]).toMatchObject({ statusCode: null, outcome: 'timeout' })
  })

  it('re-delivers the last event with the same eventId and answers with the outcome', async () => {
    const { sandbox, receiver } = await setUp()
    const id = await createInstance(sandbox)
    await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { method: 'POST' })
    await eventually(() => receiver.received.length === 2, 'start and finish pushes')
    const res = await call(sandbox.url, `/_sandbox/instances/${id}/push`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(res.body.delivery).toMatchObject({ status: 'delivered', manual: true, type: 'finish' })
    const [, original, again] = plaintexts(receiver)
    expect(again.eventId).toBe(original.eventId)
    expect(again).toEqual(original)
  })

  it('records blocked pushes as failures while the pushBlocked fault is on', async () => {
    const { sandbox, receiver } = await setUp('success', { retryDelays: [] })
    await call(sandbox.url, '/_sandbox/faults', { body: { pushBlocked: true } })
    await createInstance(sandbox)
    const delivery = await eventually(() => sandbox.state.deliveries.find((d) => d.status === 'failed'), 'blocked failure')
    expect(delivery.attempts[0].outcome).toBe('blocked')
    expect(receiver.received).toHaveLength(0)
  })

  it('keeps a push log of every attempt', async () => {
    const { sandbox, receiver } = await setUp()
    await createInstance(sandbox)
    await eventually(() => receiver.received.length === 1, 'the start push')
    const log = await eventually(async () => {
      const { body } = await call(sandbox.url, '/_sandbox/pushes')
      return body.data[0]?.status === 'delivered' && body.data
    }, 'the delivered log entry')
    expect(log[0]).toMatchObject({ kind: 'event', type: 'start', spelling: 'signature', attempts: [{ statusCode: 200, outcome: 'delivered' }] })
    expect(log[0].attempts[0].at).toMatch(/Z$/)
  })

  it('marks pushes skipped when no push URL is configured', async () => {
    sandbox = await startSandbox()
    await createInstance(sandbox)
    const delivery = await eventually(() => sandbox!.state.deliveries[0], 'a delivery')
    expect(delivery.status).toBe('skipped')
  })
})

describe('check_url', () => {
  it('reports a receiver that answers the encrypted success as valid', async () => {
    const { sandbox, receiver } = await setUp()
    const res = await call(sandbox.url, '/_sandbox/check-url', { method: 'POST' })
    expect(res.status).toBe(200)
    expect(res.body.data.ok).toBe(true)
    expect(JSON.parse(receiver.received[0].plaintext as string)).toEqual({ EventType: 'check_url' })
  })

  it('reports a receiver that answers plain text as invalid', async () => {
    const { sandbox } = await setUp('plain-success')
    const res = await call(sandbox.url, '/_sandbox/check-url', { body: { spelling: 'msg_signature' } })
    expect(res.body.data.ok).toBe(false)
    expect(res.body.data.delivery.attempts[0].outcome).toBe('bad_reply')
  })
})
