import { afterEach, describe, expect, it } from 'vitest'
import { call, createBody, createInstance, startSandbox, tokenFor, type TestSandbox } from './test-support.ts'

let sandbox: TestSandbox
afterEach(async () => {
  await sandbox?.close()
})

const QUERY = '/v1.0/workflow/processes/instanceIds/query'

async function query(body: Record<string, unknown>) {
  return call(sandbox.url, QUERY, { body, headers: { 'x-acs-dingtalk-access-token': await tokenFor(sandbox) } })
}

describe('DingTalk instanceIds query', () => {
  it('lists the template instances of a window oldest first, 20 a page at most, with a nextToken cursor', async () => {
    let clock = Date.UTC(2026, 10, 1)
    sandbox = await startSandbox({}, { now: () => clock })
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      clock += 1000
      ids.push(await createInstance(sandbox, [{ name: '申请编号', value: `APP-${i}` }]))
    }
    const { processCode } = sandbox.config.dingtalk
    const first = await query({ processCode, startTime: Date.UTC(2026, 10, 1), maxResults: 2 })
    expect(first.status).toBe(200)
    expect(first.body).toEqual({ result: { list: ids.slice(0, 2), nextToken: '2' }, success: true })
    const second = await query({ processCode, startTime: Date.UTC(2026, 10, 1), maxResults: 2, nextToken: Number(first.body.result.nextToken) })
    expect(second.body).toEqual({ result: { list: ids.slice(2) }, success: true })
    const windowed = await query({ processCode, startTime: Date.UTC(2026, 10, 1) + 1500, endTime: Date.UTC(2026, 10, 1) + 2500, maxResults: 20 })
    expect(windowed.body.result.list).toEqual([ids[1]])
    const otherUser = await query({ processCode, startTime: Date.UTC(2026, 10, 1), maxResults: 20, userIds: ['someone-else'] })
    expect(otherUser.body.result.list).toEqual([])
  })

  it('refuses another process code, more than 20 a page and a window over 120 days with DingTalk errors', async () => {
    sandbox = await startSandbox()
    const { processCode } = sandbox.config.dingtalk
    const other = await query({ processCode: 'PROC-OTHER', startTime: Date.now() - 1000, maxResults: 10 })
    expect([other.status, other.body.code]).toEqual([400, 'processCodeError'])
    const big = await query({ processCode, startTime: Date.now() - 1000, maxResults: 21 })
    expect([big.status, big.body.code]).toEqual([400, 'invalidParameter'])
    const long = await query({ processCode, startTime: Date.now() - 121 * 86_400_000, maxResults: 10 })
    expect([long.status, long.body.code]).toEqual([400, 'invalidParameter'])
  })
})

describe('the createDelayMs fault', () => {
  it('creates the instance at once and answers the create only after the delay', async () => {
    sandbox = await startSandbox()
    const fault = await call(sandbox.url, '/_sandbox/faults', { body: { createDelayMs: 400 } })
    expect(fault.status).toBe(200)
    const token = await tokenFor(sandbox)
    const started = performance.now()
    const answer = call(sandbox.url, '/v1.0/workflow/processInstances', { body: createBody(sandbox), headers: { 'x-acs-dingtalk-access-token': token } })
    await new Promise((done) => setTimeout(done, 150))
    expect(sandbox.state.instances.size).toBe(1)
    const res = await answer
    expect(res.status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(390)
    expect(res.body.instanceId).toBe([...sandbox.state.instances.keys()][0])
  })
})
