// Shared by the full-stack and browser tests: a stack on free ports with its own state, and
// polling helpers for the asynchronous steps (push, outbox).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createProof, importSigningKey, PROOF_HEADER, PROXY_AUDIENCE } from '../proof/src/index.ts'
import { startStack, type Stack, type StackOptions } from '../sandbox/src/stack.ts'
import { SANDBOX_SITEKEY } from '../sandbox/src/turnstile/keys.ts'

export const ROOT = resolve(import.meta.dirname, '..')
export const ARTIFACTS = join(ROOT, 'test', 'artifacts')

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

export type TestStackOptions = Pick<StackOptions, 'pushRetryDelays' | 'env' | 'events' | 'pushUrl' | 'proxies' | 'cronIntervalMs' | 'ports'>

export async function startTestStack(name: string, options: TestStackOptions = {}): Promise<Stack> {
  await mkdir(ARTIFACTS, { recursive: true })
  const stateDir = await mkdtemp(join(tmpdir(), `licensedesk-${name}-`))
  const removeState = () => rm(stateDir, { recursive: true, force: true })
  let stack: Stack
  try {
    stack = await startStack({
      root: ROOT,
      stateDir,
      pushRetryDelays: [1000, 2000],
      cronIntervalMs: 0,
      output: { file: join(ARTIFACTS, `${name}-stack.log`) },
      ...options,
      ports: { worker: await freePort(), proxy: await freePort(), sandbox: await freePort(), access: await freePort(), ...options.ports },
    })
  } catch (error) {
    await removeState()
    throw error
  }
  // The state (keys, local D1) is this run's alone: gone with the stack.
  const stop = stack.stop
  stack.stop = async () => {
    await stop()
    await removeState()
  }
  return stack
}

export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value as T
    } catch (error) {
      last = error
    }
    await new Promise((done) => setTimeout(done, 200))
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
}

export async function json<T = any>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init)
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T }
}

export type SandboxEmail = {
  id: string
  from: string
  to: string | string[]
  subject: string
  html?: string
  text?: string
  attachments?: { filename: string; content: string; content_type?: string }[]
  tags?: { name: string; value: string }[]
}

/** The mail every application gets at submission (tagged by the worker's outbox). */
export const isAcknowledgement = (email: SandboxEmail): boolean =>
  email.tags?.some((tag) => tag.name === 'kind' && tag.value === 'acknowledgement') ?? false

/** Mails to `address`, without the acknowledgement at submission unless `acknowledgements` is set. */
export async function emailsTo(stack: Stack, address: string, options: { acknowledgements?: boolean } = {}): Promise<SandboxEmail[]> {
  const { body } = await json<{ data: SandboxEmail[] }>(`${stack.urls.sandbox}/_sandbox/emails`)
  return body.data.filter((email) => [email.to].flat().includes(address) && (options.acknowledgements || !isAcknowledgement(email)))
}

export type SandboxInstance = { id?: string; instanceId?: string; processInstanceId?: string; status: string; formComponentValues: { name: string; value: string }[] }

export function instanceIdOf(instance: SandboxInstance): string {
  return (instance.instanceId ?? instance.processInstanceId ?? instance.id) as string
}

/** The sandbox instance whose form carries the given application id. */
export async function instanceFor(stack: Stack, applicationId: string): Promise<SandboxInstance> {
  return eventually(async () => {
    const { body } = await json<{ data: SandboxInstance[] }>(`${stack.urls.sandbox}/_sandbox/instances`)
    return body.data.find((instance) => instance.formComponentValues.some((field) => field.value === applicationId))
  }, `the DingTalk instance of ${applicationId}`)
}

let applicants = 0

/** A valid application with a unique email and feature code; fields can be overridden. */
export function applicationInput(overrides: Record<string, unknown> = {}): Record<string, unknown> & { email: string; featureCode: string } {
  applicants += 1
  const unique = `${applicants}-${Date.now()}`
  return {
    name: '张三',
    company: '杭州示例科技有限公司 <Test & Co>',
    email: `buyer${unique}@example.com`,
    phone: '+86 138 0000 0000',
    featureCode: `HM-${'A1B2C3D4'.repeat(7)}-${applicants}`,
    quantity: 25,
    validityDays: 90,
    note: 'for the migration project',
    locale: 'zh-CN',
    product: 'hypermotion',
    ...overrides,
  } as Record<string, unknown> & { email: string; featureCode: string }
}

export type Submitted = { status: number; body: { id: string; status: string; statusUrl: string; error?: { code: string } } }

let submissions = 0

/** A Turnstile token from the sandbox's widget endpoint, as the apply page on localhost gets one. */
export async function turnstileToken(stack: Stack): Promise<string> {
  const { body } = await json<{ token: string }>(`${stack.urls.sandbox}/turnstile/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ sitekey: SANDBOX_SITEKEY, action: 'apply', hostname: new URL(stack.urls.worker).hostname }),
  })
  return body.token
}

/** POST /api/applications with a fresh Turnstile token, each from its own client address so the per-IP rate limit never bites. */
export async function submitApplication(stack: Stack, body: Record<string, unknown>): Promise<Submitted> {
  const n = ++submissions // taken before any await: concurrent calls each get their own address
  const token = await turnstileToken(stack)
  return json(`${stack.urls.worker}/api/applications`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'cf-turnstile-response': token,
      'cf-connecting-ip': `198.51.${100 + Math.floor(n / 250)}.${(n % 250) + 1}`,
    },
    body: JSON.stringify(body),
  })
}

/** The applicant's view behind a statusUrl. */
export async function statusOfApplication(stack: Stack, statusUrl: string): Promise<{ status: number; body: any }> {
  const url = new URL(statusUrl)
  const id = url.pathname.split('/').pop()
  return json(`${stack.urls.worker}/api/applications/${id}?t=${url.searchParams.get('t')}`)
}


/** Approves (or rejects) the DingTalk instance of an application in the sandbox. */
export async function decideInSandbox(stack: Stack, applicationId: string, decision: 'approve' | 'reject' = 'approve'): Promise<string> {
  const instance = await instanceFor(stack, applicationId)
  const id = instanceIdOf(instance)
  const { status, body } = await json(`${stack.urls.sandbox}/_sandbox/instances/${id}/${decision}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  if (status !== 200) throw new Error(`${decision} ${id}: ${status} ${JSON.stringify(body)}`)
  return id
}

/** How many sandbox DingTalk instances carry each application id in their form. */
export async function instanceCounts(stack: Stack): Promise<Map<string, number>> {
  const { body } = await json<{ data: SandboxInstance[] }>(`${stack.urls.sandbox}/_sandbox/instances`)
  const counts = new Map<string, number>()
  for (const instance of body.data) {
    const field = instance.formComponentValues.find((value) => value.name === '申请编号')
    if (field) counts.set(field.value, (counts.get(field.value) ?? 0) + 1)
  }
  return counts
}

/** `GET /readyz` on a proxy, signed with the worker's key as the worker would: the full detail. */
export async function readinessOf(stack: Stack, proxyUrl: string, signWith?: object): Promise<{ status: number; body: any }> {
  const secrets = JSON.parse(await readFile(stack.secretsFile, 'utf8'))
  const key = await importSigningKey((signWith ?? secrets.workerPrivateJwk) as never)
  const proof = await createProof({ key, aud: PROXY_AUDIENCE, method: 'GET', target: '/readyz' })
  return json(`${proxyUrl}/readyz`, { headers: { [PROOF_HEADER]: proof } })
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Runs the worker's cron as if it were `at` (ms): Miniflare's `/cdn-cgi/local/scheduled?time=`. */
export async function runCronAt(stack: Stack, at = Date.now()): Promise<void> {
  const response = await fetch(`${stack.urls.worker}/cdn-cgi/local/scheduled?cron=${encodeURIComponent('* * * * *')}&time=${at}`)
  const text = await response.text()
  if (!response.ok) throw new Error(`scheduled run answered ${response.status}: ${text}`)
}
