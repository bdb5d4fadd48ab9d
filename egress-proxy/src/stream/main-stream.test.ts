// The entry command in Stream mode, as a real child process against the real sandbox gateway.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createInstance, eventually, startSandbox, type TestSandbox } from '../../../sandbox/src/test-support.ts'
import { makeEnv, makeKeys, SECRETS, startFake, type FakeServer } from '../test-kit.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

let sandbox: TestSandbox
let worker: FakeServer
beforeAll(async () => {
  sandbox = await startSandbox({
    events: 'stream',
    dingtalk: { appKey: SECRETS.appKey, appSecret: SECRETS.appSecret, callbackToken: SECRETS.callbackToken, callbackAesKey: SECRETS.aesKey },
    stream: { redeliverMs: 2_000, pingMs: 200 },
  })
  worker = await startFake()
  worker.on('/internal/events', () => ({ body: { recorded: true } }))
})
afterAll(async () => {
  await sandbox.close()
  await worker.close()
})

describe('entry command with DINGTALK_EVENTS=stream', () => {
  it('connects from EGRESS_LOCAL_ADDRESS, relays an approval event to the worker and acks it, and closes the Stream on SIGTERM', async () => {
    const env = makeEnv(await makeKeys(), { dingtalk: sandbox.url, worker: worker.url }, { LOG_LEVEL: 'info', EGRESS_LOCAL_ADDRESS: '127.0.0.2', DINGTALK_EVENTS: 'stream' })
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', 'egress-proxy/src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const stdout: string[] = []
    child.stdout.on('data', (d) => stdout.push(String(d)))
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const connections = async () => (await call(sandbox.url, '/_sandbox/stream/connections')).body.data as any[]
      await eventually(async () => (await connections()).length === 1, 'the proxy connection', 10_000)
      expect((await connections())[0]).toMatchObject({ remoteAddress: '127.0.0.2', state: 'open' })
      await createInstance(sandbox)
      await eventually(async () => (await call(sandbox.url, '/_sandbox/stream/events')).body.summary.acked === 1, 'the ack', 5_000)
      expect(worker.requests.filter((r) => r.url === '/internal/events')).toHaveLength(1)
      child.kill('SIGTERM')
      expect(await exit).toBe(0)
      await eventually(async () => (await connections())[0].state === 'closed', 'the connection closed')
      const output = stdout.join('')
      expect(output).toContain('dingtalk stream connected')
      expect(output).not.toContain(SECRETS.appSecret)
      expect(output).not.toContain('ticket=')
    } finally {
      child.kill('SIGKILL')
    }
  })
})
