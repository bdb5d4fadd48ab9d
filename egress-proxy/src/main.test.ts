// The entry command as the image and `npm run proxy` run it: a real child process.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DingTalkCrypto } from './dingtalk-crypto.ts'
import {
  makeEnv,
  makeKeys,
  PROCESS_CODE,
  proxyCheckHandler,
  rawRequest,
  SECRETS,
  signedRelay,
  startFake,
  tokenHandler,
  type FakeServer,
  type Keys,
} from './test-kit.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const dockerfile = readFileSync(new URL('Dockerfile.proxy', `file://${ROOT}`), 'utf8')
const CREATE = '/relay/api/v1.0/workflow/processInstances'
const pkg = JSON.parse(readFileSync(new URL('package.json', `file://${ROOT}`), 'utf8'))

/** The exec-form argv after `CMD` on the line starting with `prefix`. */
function execForm(prefix: string): string[] {
  const line = dockerfile.split(/\n(?!\s)/).find((l) => l.startsWith(prefix))
  const json = line?.replace(/\\\n\s*/g, '').match(/CMD (\[.*\])\s*$/)?.[1]
  if (!json) throw new Error(`no exec-form CMD on ${prefix}`)
  return JSON.parse(json)
}

type Child = { proc: ChildProcess; stdout: string[]; stderr: string[]; exit: Promise<number | null> }

function start(argv: string[], env: Record<string, string | undefined>): Child {
  const [command, ...args] = argv
  const proc = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: string[] = []
  const stderr: string[] = []
  proc.stdout?.on('data', (d) => stdout.push(String(d)))
  proc.stderr?.on('data', (d) => stderr.push(String(d)))
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  return { proc, stdout, stderr, exit }
}

async function listeningPort(child: Child): Promise<number> {
  for (let i = 0; i < 200; i += 1) {
    for (const line of child.stdout.join('').split('\n')) {
      if (line.includes('egress proxy listening')) return JSON.parse(line).port
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`the proxy did not start: ${child.stderr.join('')}`)
}

let keys: Keys
let dingtalk: FakeServer
let worker: FakeServer

beforeAll(async () => {
  keys = await makeKeys()
  dingtalk = await startFake()
  dingtalk.on('/v1.0/oauth2/accessToken', tokenHandler())
  worker = await startFake()
  worker.on('/internal/events', () => ({ delayMs: 400, body: { recorded: true } }))
  worker.on('/internal/proxy-check', proxyCheckHandler(keys))
  dingtalk.on('/v1.0/workflow/processInstances', () => ({ delayMs: 400, body: { instanceId: 'inst-1' } }))
})
afterAll(async () => {
  await Promise.all([dingtalk.close(), worker.close()])
})

describe('entry command', () => {
  it('starts from the image CMD, answers the HEALTHCHECK command, drains on SIGTERM and exits 0', async () => {
    const env = makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { LOG_LEVEL: 'info' })
    const child = start(execForm('CMD'), env)
    try {
      const port = await listeningPort(child)
      expect((await rawRequest(port, 'GET', '/healthz')).status).toBe(200)

      const health = start(execForm('HEALTHCHECK'), { PORT: String(port) })
      expect(await health.exit).toBe(0)

      // An in-flight push (the worker takes 400 ms) is finished before the process exits.
      const crypto = new DingTalkCrypto({ token: SECRETS.callbackToken, aesKey: SECRETS.aesKey, ownerKey: SECRETS.appKey })
      const encrypt = crypto.encrypt(JSON.stringify({ EventType: 'bpms_instance_change', processInstanceId: 'p', type: 'finish' }))
      const ts = String(Date.now())
      const pending = rawRequest(port, 'POST', `/dingtalk/events?signature=${crypto.signature(ts, 'n', encrypt)}&timestamp=${ts}&nonce=n`, JSON.stringify({ encrypt }))
      await new Promise((r) => setTimeout(r, 150))
      child.proc.kill('SIGTERM')
      const answer = await pending
      expect(answer.status).toBe(200)
      expect(await child.exit).toBe(0)
      expect(child.stdout.join('')).toContain('shutting down')

      const down = start(execForm('HEALTHCHECK'), { PORT: String(port) })
      expect(await down.exit).toBe(1)
    } finally {
      child.proc.kill('SIGKILL')
    }
  })

  it('on SIGTERM reports draining at once, refuses new relays unrelayed, finishes in-flight ones, keeps listening DRAIN_DELAY_MS, exits 0', async () => {
    const env = makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { LOG_LEVEL: 'info', DRAIN_DELAY_MS: '700' })
    const child = start(execForm('CMD'), env)
    try {
      const port = await listeningPort(child)
      const target = { port } as Parameters<typeof signedRelay>[0]
      const body = JSON.stringify({ processCode: PROCESS_CODE })
      expect((await rawRequest(port, 'GET', '/readyz')).status).toBe(200)
      const creates = () => dingtalk.requests.filter((r) => r.url === '/v1.0/workflow/processInstances').length
      const before = creates()
      const inflight = [signedRelay(target, keys, 'POST', CREATE, body), signedRelay(target, keys, 'POST', CREATE, body)]
      await new Promise((r) => setTimeout(r, 150))
      const signalled = Date.now()
      child.proc.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 100))
      expect((await rawRequest(port, 'GET', '/readyz')).status).toBe(503)
      const refused = await signedRelay(target, keys, 'POST', CREATE, body)
      expect([refused.status, refused.json.error.code]).toEqual([503, 'PROXY_DRAINING'])
      expect((await Promise.all(inflight)).map((r) => r.status)).toEqual([200, 200])
      expect(creates() - before).toBe(2)
      expect(await child.exit).toBe(0)
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(700)
    } finally {
      child.proc.kill('SIGKILL')
    }
  })

  it('stops with exit 1 and names the missing variable on stderr (npm run proxy command)', async () => {
    const argv = (pkg.scripts.proxy as string).split(' ')
    const env = makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { DINGTALK_APP_SECRET: undefined })
    const child = start(argv, env)
    expect(await child.exit).toBe(1)
    expect(child.stderr.join('')).toContain('config error: DINGTALK_APP_SECRET: is required')
    expect(child.stdout.join('')).toBe('')
  })

  it('never prints a bad secret value on stderr', async () => {
    const env = makeEnv(keys, { dingtalk: dingtalk.url, worker: worker.url }, { DINGTALK_CALLBACK_AES_KEY: 'not-a-valid-aes-key-SECRET' })
    const child = start((pkg.scripts.proxy as string).split(' '), env)
    expect(await child.exit).toBe(1)
    const stderr = child.stderr.join('')
    expect(stderr).toContain('config error: DINGTALK_CALLBACK_AES_KEY:')
    expect(stderr).not.toContain('SECRET')
  })
})
