// Fault injection across the real processes: a part of the stack stopped and started again, the
// sandbox's injected faults (mailbox 500, expired DingTalk token) and the other push spelling.
// One stack for the file; push retries at 8 s and 20 s so a worker restart fits in the window.
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import {
  applicationInput,
  ARTIFACTS,
  emailsTo,
  eventually,
  instanceFor,
  instanceIdOf,
  json,
  startTestStack,
  statusOfApplication,
  submitApplication,
  type SandboxInstance,
  type Submitted,
  runCronAt,
} from './helpers.ts'

const LOG = join(ARTIFACTS, 'faults-stack.log')

let stack: Stack
let recorder: MailRecorder

/** One `POST /emails` as the worker sent it, with the mailbox's answer. */
type MailAttempt = { idempotencyKey: string | null; to: string[]; status: number }
type MailRecorder = { server: Server; url: string; attempts: MailAttempt[]; target?: string }

/**
 * Sits between the worker and the sandbox mailbox and notes every send, failed ones included (the
 * mailbox keeps only the emails it stored), so a retry's Idempotency-Key can be compared.
 */
async function startMailRecorder(): Promise<MailRecorder> {
  const server = createServer()
  const recorder: MailRecorder = { server, url: '', attempts: [] }
  server.on('request', async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const headers = new Headers()
    for (const name of ['authorization', 'content-type', 'idempotency-key', 'user-agent']) {
      const value = req.headers[name]
      if (typeof value === 'string') headers.set(name, value)
    }
    const answer = await fetch(`${recorder.target}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    })
    const text = await answer.text()
    if (req.method === 'POST' && req.url === '/emails') {
      let to: string[] = []
      try {
        to = [JSON.parse(body.toString('utf8')).to].flat()
      } catch {
        // not JSON: recorded without recipients
      }
      const key = req.headers['idempotency-key']
      recorder.attempts.push({ idempotencyKey: typeof key === 'string' ? key : null, to, status: answer.status })
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
    res.end(text)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  recorder.url = `http://localhost:${(server.address() as { port: number }).port}`
  return recorder
}

beforeAll(async () => {
  recorder = await startMailRecorder()
  stack = await startTestStack('faults', {
    pushRetryDelays: [8000, 20000],
    env: { worker: { RESEND_BASE_URL: recorder.url } },
  })
  recorder.target = stack.urls.sandbox
})

afterAll(async () => {
  await stack?.stop()
  await new Promise((done) => recorder?.server.close(done))
})

const application = () => applicationInput({ quantity: 3, validityDays: 30, locale: 'en', note: undefined })
const submit = (body: Record<string, unknown>) => submitApplication(stack, body)
const statusOf = (statusUrl: string) => statusOfApplication(stack, statusUrl)

async function sandbox<T = any>(path: string, body?: unknown) {
  return json<T>(`${stack.urls.sandbox}/_sandbox${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

async function instancesFor(applicationId: string): Promise<SandboxInstance[]> {
  const { body } = await sandbox<{ data: SandboxInstance[] }>('/instances')
  return body.data.filter((instance) => instance.formComponentValues.some((field) => field.value === applicationId))
}

type PushAttempt = { statusCode: number | null; outcome: string; detail?: string }
type PushDelivery = { instanceId: string; type: string; spelling: string; manual: boolean; status: string; attempts: PushAttempt[] }

/** The sandbox's automatic push of the instance's approval (not manual re-pushes). */
async function approvalPush(instanceId: string): Promise<PushDelivery | undefined> {
  const { body } = await sandbox<{ data: PushDelivery[] }>('/pushes')
  return body.data.find((delivery) => delivery.instanceId === instanceId && delivery.type === 'finish' && !delivery.manual)
}

async function untilStatus(statusUrl: string, status: string, timeoutMs?: number) {
  return eventually(async () => {
    const { body } = await statusOf(statusUrl)
    return body.status === status && body
  }, `status ${status}`, timeoutMs)
}

const cronAt = (at: number): Promise<void> => runCronAt(stack, at)

async function proxyLogLines(text: string): Promise<number> {
  const log = await readFile(LOG, 'utf8')
  return log.split('\n').filter((line) => line.startsWith('[proxy]') && line.includes(text)).length
}

describe('the stack under faults', () => {
  it('delivers a license when DingTalk pushes with the msg_signature/timeStamp spelling', async () => {
    const input = application()
    const created = await submit(input)
    expect(created.status).toBe(201)
    const instanceId = instanceIdOf(await instanceFor(stack, created.body.id))

    const approved = await sandbox(`/instances/${instanceId}/approve`, { spelling: 'msg_signature' })
    expect(approved.status).toBe(200)

    const push = await eventually(async () => {
      const delivery = await approvalPush(instanceId)
      return delivery?.status === 'delivered' && delivery
    }, 'the push to be acknowledged')
    expect(push.spelling).toBe('msg_signature')
    expect(push.attempts).toHaveLength(1)
    await untilStatus(created.body.statusUrl, 'delivered')
    expect(await emailsTo(stack, input.email)).toHaveLength(1)
  })

  it('submits the next application after DingTalk expires the access token, refreshing it once', async () => {
    // A first submit leaves a cached token in the proxy, which the sandbox then invalidates.
    const first = await submit(application())
    expect(first.status).toBe(201)
    const refreshesBefore = await proxyLogLines('refreshing once')

    const expired = await sandbox('/tokens/expire', {})
    expect(expired.status).toBe(200)
    expect(expired.body.data.expired).toBe(true)

    const next = await submit(application())
    expect(next.status).toBe(201)
    expect(next.body.status).toBe('pending_approval')
    expect(await instancesFor(next.body.id)).toHaveLength(1)
    // The proxy met the expired token and retried, rather than never having held one.
    await eventually(async () => (await proxyLogLines('refreshing once')) === refreshesBefore + 1, 'the proxy to log the token refresh')
  })

  it('keeps an application submitted while the proxy is down and submits it on the first cron run after', async () => {
    const input = application()
    let created: Submitted
    let kept: { status: number; body: any }
    await stack.stopPart('proxy')
    try {
      created = await submit(input)
      kept = await statusOf(created.body.statusUrl)
    } finally {
      await stack.startPart('proxy')
    }
    // Saved, to be submitted: a success for the applicant (202), not an error.
    expect(created.status).toBe(202)
    expect(created.body.error).toBeUndefined()
    expect(created.body.status).toBe('submitted')
    expect(created.body.id).toMatch(/\S/)
    expect(created.body.statusUrl).toContain(created.body.id)
    expect(kept.status).toBe(200)
    expect(kept.body.status).toBe('submitted')

    // The restarted proxy's first heartbeat or the next cron run submits it, once.
    await stack.triggerCron()
    const { body } = await eventually(async () => {
      const answer = await statusOf(created.body.statusUrl)
      return answer.body.status === 'pending_approval' && answer
    }, 'the kept application submitted')
    expect(body.status).toBe('pending_approval')
    expect(body.timeline.map((step: { status: string }) => step.status)).toEqual(['submitted', 'pending_approval'])
    expect(await instancesFor(created.body.id)).toHaveLength(1)
  })

  it('records an approval that DingTalk pushes while the worker is down once its retry reaches the restarted worker', async () => {
    const input = application()
    const created = await submit(input)
    expect(created.status).toBe(201)
    const instanceId = instanceIdOf(await instanceFor(stack, created.body.id))

    await stack.stopPart('worker')
    try {
      const approved = await sandbox(`/instances/${instanceId}/approve`, {})
      expect(approved.status).toBe(200)
      // The proxy cannot record the event, so it withholds DingTalk's `success` and DingTalk retries.
      const failed = await eventually(async () => {
        const delivery = await approvalPush(instanceId)
        return delivery && delivery.attempts.length > 0 && delivery
      }, 'the first push attempt')
      expect(failed.attempts[0]).toMatchObject({ statusCode: 503, outcome: 'http_error' })
      expect(failed.attempts[0].detail).toContain('WORKER_UNAVAILABLE')
      expect(failed.status).toBe('retrying')
    } finally {
      await stack.startPart('worker')
    }

    const delivered = await eventually(async () => {
      const delivery = await approvalPush(instanceId)
      return delivery?.status === 'delivered' && delivery
    }, 'a push retry to be acknowledged', 45_000)
    expect(delivered.attempts.at(-1)?.outcome).toBe('delivered')
    const status = await untilStatus(created.body.statusUrl, 'delivered')
    expect(status.timeline.map((step: { status: string }) => step.status)).toEqual([
      'submitted',
      'pending_approval',
      'approved',
      'issued',
      'delivered',
    ])
    // A cron run finds nothing left to send.
    await stack.triggerCron()
    expect(await emailsTo(stack, input.email)).toHaveLength(1)
  }, 90_000)

  it('retries a license mail the mailbox refused with 500 after the back-off, under the same Idempotency-Key', async () => {
    const input = application()
    const created = await submit(input)
    expect(created.status).toBe(201)
    // The acknowledgement at submission goes out first; the fault is for the license mail.
    await eventually(async () => (await emailsTo(stack, input.email, { acknowledgements: true })).length === 1, 'the acknowledgement')
    const sentBefore = recorder.attempts.length
    const fault = await sandbox('/faults', { mailFailures: 1 })
    expect(fault.status).toBe(200)
    try {
      const instanceId = instanceIdOf(await instanceFor(stack, created.body.id))
      expect((await sandbox(`/instances/${instanceId}/approve`, {})).status).toBe(200)

      const attemptsTo = () => recorder.attempts.slice(sentBefore).filter((attempt) => attempt.to.includes(input.email))
      const [refused] = await eventually(async () => attemptsTo().length > 0 && attemptsTo(), 'the first send')
      expect(refused.status).toBe(500)
      const issued = await untilStatus(created.body.statusUrl, 'issued')
      expect(issued.license).not.toBeNull()
      expect(await emailsTo(stack, input.email)).toHaveLength(0)

      // Backing off: a cron run right away does not send again.
      await stack.triggerCron()
      expect(attemptsTo()).toHaveLength(1)
      expect((await statusOf(created.body.statusUrl)).body.status).toBe('issued')

      // The cron run a minute later (its scheduled time is the worker's clock) sends it. Other
      // applicants' acknowledgements share Resend's 2 mails a second: a run that meets a 429
      // leaves the mail due half a minute after *its* scheduled time, so each further run is
      // scheduled later than the one before, as cron's own runs are.
      let at = Date.now() + 61_000
      await eventually(async () => {
        await cronAt(at)
        at = Math.max(at + 31_000, Date.now() + 61_000)
        return (await statusOf(created.body.statusUrl)).body.status === 'delivered'
      }, 'the license mail delivered after the back-off', 30_000)
      const attempts = attemptsTo().filter((attempt) => attempt.status !== 429)
      expect(attempts.map((attempt) => attempt.status)).toEqual([500, 200])
      expect(attempts[0].idempotencyKey).toMatch(/^delivery\/\S+$/)
      expect(attempts[1].idempotencyKey).toBe(attempts[0].idempotencyKey)
      const emails = await emailsTo(stack, input.email)
      expect(emails).toHaveLength(1)
      expect((emails[0] as { idempotency_key?: string }).idempotency_key).toBe(attempts[0].idempotencyKey)
    } finally {
      await sandbox('/faults', { mailFailures: 0 })
    }
  })
})
