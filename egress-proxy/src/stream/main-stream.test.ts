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

function spawnProxy(env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', 'egress-proxy/src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: string[] = []
  child.stdout.on('data', (d) => stdout.push(String(d)))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, stdout, exit }
}

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

  for (const mode of ['spread', 'takeover'] as const) {
    it(`rotates two proxy processes under load with SIGTERM and loses or doubles no event (${mode})`, async () => {
      const rotation = await startSandbox({
        events: 'stream',
        dingtalk: { appKey: SECRETS.appKey, appSecret: SECRETS.appSecret, callbackToken: SECRETS.callbackToken, callbackAesKey: SECRETS.aesKey, qpsLimit: 0 },
        stream: { mode, redeliverMs: 1_000, pingMs: 500, attempts: 10 },
      })
      const keys = await makeKeys()
      const envFor = (address: string) => makeEnv(keys, { dingtalk: rotation.url, worker: worker.url }, { LOG_LEVEL: 'info', EGRESS_LOCAL_ADDRESS: address, DINGTALK_EVENTS: 'stream' })
      const open = async () => ((await call(rotation.url, '/_sandbox/stream/connections')).body.data as any[]).filter((c) => c.state === 'open')
      const old = spawnProxy(envFor('127.0.0.2'))
      let fresh: ReturnType<typeof spawnProxy> | undefined
      try {
        await eventually(async () => (await open()).length === 1, 'the old proxy connected', 10_000)
        let running = true
        const load = (async () => {
          while (running) {
            const id = await createInstance(rotation)
            await call(rotation.url, `/_sandbox/instances/${id}/approve`, { method: 'POST' })
            await new Promise((r) => setTimeout(r, 25))
          }
        })()
        fresh = spawnProxy(envFor('127.0.0.3'))
        await eventually(async () => (await open()).some((c) => c.remoteAddress === '127.0.0.3'), 'the new proxy connected', 10_000)
        await new Promise((r) => setTimeout(r, 300))
        old.child.kill('SIGTERM')
        expect(await old.exit).toBe(0)
        await new Promise((r) => setTimeout(r, 500))
        running = false
        await load
        const total = [...rotation.state.instances.values()].reduce((n, i) => n + i.events.length, 0)
        expect(total).toBeGreaterThan(10)
        const summary = async () => (await call(rotation.url, '/_sandbox/stream/events')).body.summary
        await eventually(async () => (await summary()).acked === total, `all ${total} events acked`, 8_000)
        expect(await summary()).toMatchObject({ events: total, failed: 0, delivering: 0, duplicateAcks: 0 })
      } finally {
        old.child.kill('SIGKILL')
        fresh?.child.kill('SIGKILL')
        await rotation.close()
      }
    }, 40_000)
  }
})
