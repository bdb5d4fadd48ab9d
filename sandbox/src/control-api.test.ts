import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { SANDBOX_ERROR_CODES } from './errors.ts'
import { call, createInstance, startSandbox, tokenFor, type TestSandbox } from './test-support.ts'

let sandbox: TestSandbox
afterEach(async () => {
  await sandbox?.close()
})

describe('control API', () => {
  it('lists instances newest first with form values, status and push state', async () => {
    sandbox = await startSandbox()
    const first = await createInstance(sandbox, [{ name: '申请编号', value: 'A-1' }])
    const second = await createInstance(sandbox, [{ name: '申请编号', value: 'A-2' }])
    const { status, body } = await call(sandbox.url, '/_sandbox/instances')
    expect(status).toBe(200)
    expect(body.data.map((instance: { id: string }) => instance.id)).toEqual([second, first])
    expect(body.data[0]).toMatchObject({
      id: second,
      processInstanceId: second,
      status: 'RUNNING',
      result: null,
      formComponentValues: [expect.objectContaining({ name: '申请编号', value: 'A-2' })],
      events: [expect.objectContaining({ type: 'start' })],
      push: { status: 'skipped', type: 'start', attempts: 0 },
    })
    expect((await call(sandbox.url, `/_sandbox/instances/${first}`)).body.data.id).toBe(first)
  })

  it('answers unknown instances with 404 SANDBOX_NOT_FOUND', async () => {
    sandbox = await startSandbox()
    const res = await call(sandbox.url, '/_sandbox/instances/nope/approve', { method: 'POST' })
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ error: { code: 'SANDBOX_NOT_FOUND', message: 'no instance nope' } })
  })

  it('refuses to decide an instance that is no longer RUNNING with 409', async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox)
    expect((await call(sandbox.url, `/_sandbox/instances/${id}/terminate`, { body: { remark: 'changed my mind' } })).body.data.status).toBe('TERMINATED')
    const res = await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { method: 'POST' })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('SANDBOX_INSTANCE_NOT_RUNNING')
  })

  it('rejects an unknown spelling, a non-object body and unknown faults with 400', async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox)
    expect((await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { body: { spelling: 'sig' } })).body.error.code).toBe('SANDBOX_BAD_REQUEST')
    expect((await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { body: '[1]' })).status).toBe(400)
    expect((await call(sandbox.url, '/_sandbox/faults', { body: { dingtalkDown: 'maybe' } })).status).toBe(400)
    expect((await call(sandbox.url, '/_sandbox/faults', { body: { mailFailures: -1 } })).status).toBe(400)
    expect((await call(sandbox.url, '/_sandbox/faults', { body: { nope: true } })).status).toBe(400)
    expect(sandbox.state.instances.get(id)?.status).toBe('RUNNING')
  })

  it('sets and shows faults', async () => {
    sandbox = await startSandbox()
    const res = await call(sandbox.url, '/_sandbox/faults', { body: { dingtalkDown: 'hang', mailFailures: 2, pushBlocked: true } })
    expect(res.body.data).toEqual({ dingtalkDown: 'hang', mailFailures: 2, mailDelayMs: 0, pushBlocked: true, createDelayMs: 0, mailThrottled: 0, mailRetryAfterSeconds: 1, mailRejectTo: [], withdrawForbidden: false })
    expect((await call(sandbox.url, '/_sandbox/faults')).body.data.mailFailures).toBe(2)
  })

  it('resets everything on POST /_sandbox/reset', async () => {
    sandbox = await startSandbox()
    await createInstance(sandbox)
    const token = await tokenFor(sandbox)
    await call(sandbox.url, '/_sandbox/faults', { body: { mailFailures: 3 } })
    expect((await call(sandbox.url, '/_sandbox/reset', { method: 'POST' })).status).toBe(200)
    expect((await call(sandbox.url, '/_sandbox/instances')).body.data).toEqual([])
    expect((await call(sandbox.url, '/_sandbox/calls')).body.data.current.total).toBe(0)
    expect(sandbox.state.faults.mailFailures).toBe(0)
    const old = await call(sandbox.url, '/v1.0/workflow/processInstances?processInstanceId=x', { headers: { 'x-acs-dingtalk-access-token': token } })
    expect(old.body.code).toBe('InvalidAuthentication')
  })

  it("refuses 403 SANDBOX_CROSS_SITE what a stranger's page makes the browser post, and changes nothing", async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox)
    const host = new URL(sandbox.url).host
    const strangers: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }]
    for (const headers of strangers) {
      const refused = await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { body: {}, headers })
      expect([refused.status, refused.body.error.code]).toEqual([403, 'SANDBOX_CROSS_SITE'])
      expect((await call(sandbox.url, '/_sandbox/reset', { method: 'POST', headers })).status).toBe(403)
    }
    expect(sandbox.state.instances.get(id)?.status).toBe('RUNNING')
    // The sandbox's own console page posts same-origin: that still works.
    const own = await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { body: {}, headers: { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' } })
    expect(own.status).toBe(200)
    expect(sandbox.state.instances.get(id)?.status).toBe('COMPLETED')
  })

  it('answers an unknown control path with 404 SANDBOX_NOT_FOUND', async () => {
    sandbox = await startSandbox()
    expect((await call(sandbox.url, '/_sandbox/nothing')).body.error.code).toBe('SANDBOX_NOT_FOUND')
    expect((await call(sandbox.url, '/_sandbox/health')).body).toEqual({ ok: true })
  })

  it('lists every error code in docs/sandbox.md', () => {
    const doc = readFileSync(new URL('../../docs/sandbox.md', import.meta.url), 'utf8')
    for (const code of SANDBOX_ERROR_CODES) expect(doc).toContain(`\`${code}\``)
  })
})
