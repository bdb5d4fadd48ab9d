import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Resend } from 'resend'
import { afterEach, describe, expect, it } from 'vitest'
import { call, createInstance, startSandbox, type TestSandbox } from './test-support.ts'

let sandbox: TestSandbox | undefined
let dir: string | undefined
afterEach(async () => {
  await sandbox?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
  sandbox = dir = undefined
})

describe('SANDBOX_STATE_FILE', () => {
  it('keeps emails and instances across a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-state-'))
    const stateFile = join(dir, 'nested', 'state.json')
    sandbox = await startSandbox({ stateFile })
    const id = await createInstance(sandbox)
    await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { method: 'POST' })
    const sent = await new Resend('re_test_123', { baseUrl: sandbox.url }).emails.send({ from: 'a@example.com', to: 'b@example.com', subject: 'kept', text: 't' })
    await sandbox.close()

    sandbox = await startSandbox({ stateFile })
    const instances = (await call(sandbox.url, '/_sandbox/instances')).body.data
    expect(instances).toEqual([expect.objectContaining({ id, status: 'COMPLETED', result: 'agree' })])
    expect((await call(sandbox.url, '/_sandbox/emails')).body.data).toEqual([expect.objectContaining({ id: sent.data?.id, subject: 'kept' })])
    const next = await createInstance(sandbox)
    expect(sandbox.state.instances.get(next)?.businessId.slice(-9)).toBe('000000002')
  })
})
