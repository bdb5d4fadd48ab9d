// "Ops rotates the proxy instance", as an operator would, under a bounded load of submissions and
// approvals: two proxies (egress 127.0.0.2 and 127.0.0.3, both whitelisted), each replaced in
// turn by SIGTERM and a fresh start. Nothing may fail, be lost or be doubled — with events over
// Stream mode (both ways DingTalk may treat several connections) and over HTTP push behind a
// health-checked stable name.
import { afterAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import {
  applicationInput,
  emailsTo,
  eventually,
  freePort,
  instanceCounts,
  json,
  sleep,
  startTestStack,
  statusOfApplication,
  submitApplication,
  type Submitted,
} from './helpers.ts'
import { startLoadBalancer, type LoadBalancer } from './lb.ts'

const SUBMISSIONS = 36
const GAP_MS = 120

type Mode = 'stream-takeover' | 'stream-spread' | 'http'

/**
 * Stops a proxy and starts it again, then waits as the runbook (docs/proxy.md) says: until it is
 * ready, and behind a load balancer until the balancer's own health check has it back in rotation,
 * before the next instance is stopped. Asking the instance alone is not enough: the balancer's
 * view lags, and stopping the other one meanwhile leaves it no ready backend.
 */
async function rotate(stack: Stack, part: 'proxy' | 'proxy:1', url: string, lb?: LoadBalancer): Promise<number | null> {
  const code = await stack.terminatePart(part)
  await stack.startPart(part)
  await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, `${part} ready again`, 20_000)
  if (lb) {
    const port = Number(new URL(url).port)
    await eventually(async () => lb.ready().includes(port), `${part} back in the load balancer's rotation`, 20_000)
  }
  return code
}

async function approveRunning(stack: Stack, ours: Set<string>, approved: Set<string>): Promise<void> {
  const { body } = await json<{ data: any[] }>(`${stack.urls.sandbox}/_sandbox/instances`)
  for (const instance of body.data) {
    const appId = instance.formComponentValues.find((field: { name: string }) => field.name === '申请编号')?.value
    const id = instance.instanceId ?? instance.processInstanceId ?? instance.id
    if (!ours.has(appId) || approved.has(id) || instance.status !== 'RUNNING') continue
    approved.add(id)
    await json(`${stack.urls.sandbox}/_sandbox/instances/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  }
}

describe.each<Mode>(['stream-takeover', 'stream-spread', 'http'])('rotating both proxies under load (%s)', (mode) => {
  let stack: Stack
  let lb: LoadBalancer | undefined

  afterAll(async () => {
    await stack?.stop()
    await lb?.close()
  })

  it('fails no submission, loses no event and doubles no instance, license or email', { timeout: 180_000 }, async () => {
    const ports = [await freePort(), await freePort()]
    if (mode === 'http') lb = await startLoadBalancer(ports)
    stack = await startTestStack(`rotation-${mode}`, {
      events: mode === 'http' ? 'http' : 'stream',
      pushUrl: lb ? `${lb.url}/dingtalk/events` : undefined,
      proxies: [
        { port: ports[0], egressAddress: '127.0.0.2' },
        { port: ports[1], egressAddress: '127.0.0.3' },
      ],
      env: {
        proxy: { DRAIN_DELAY_MS: '1500', DRAIN_TIMEOUT_MS: '8000' },
        sandbox: { SANDBOX_STREAM_MODE: mode === 'stream-spread' ? 'spread' : 'takeover', SANDBOX_STREAM_REDELIVER_MS: '2000' },
      },
    })
    const [urlA, urlB] = stack.urls.proxies

    const ours = new Set<string>()
    const approved = new Set<string>()
    const submissions: Promise<Submitted>[] = []
    const started = Date.now()
    let loading = true
    const load = (async () => {
      for (let i = 0; i < SUBMISSIONS; i++) {
        const submitted = submitApplication(stack, applicationInput())
        submitted.then((answer) => answer.body?.id && ours.add(answer.body.id))
        submissions.push(submitted)
        await sleep(GAP_MS)
      }
    })()
    const approver = (async () => {
      while (loading) {
        await approveRunning(stack, ours, approved).catch(() => undefined)
        await sleep(200)
      }
    })()

    await sleep(800)
    const exitA = await rotate(stack, 'proxy', urlA, lb)
    const exitB = await rotate(stack, 'proxy:1', urlB, lb)
    await load
    const answers = await Promise.all(submissions)
    const rotatedAt = Date.now()

    // Saved-and-submitted-later (202) is a success; anything else is a failure the applicant saw.
    const failed = answers.filter((answer) => answer.status !== 201 && answer.status !== 202)
    expect(failed.map((answer) => [answer.status, answer.body?.error?.code])).toEqual([])
    expect([exitA, exitB]).toEqual([0, 0])

    // Every application reaches DingTalk (cron picks up the 202s) and is approved and mailed.
    const cron = setInterval(() => void stack.triggerCron().catch(() => undefined), 2_000)
    try {
      await eventually(
        async () => {
          await approveRunning(stack, ours, approved)
          const statuses = await Promise.all(answers.map((answer) => statusOfApplication(stack, answer.body.statusUrl)))
          return statuses.every((status) => status.body.status === 'delivered')
        },
        'every application delivered',
        90_000,
      )
    } finally {
      clearInterval(cron)
      loading = false
      await approver
    }
    const drainedAt = Date.now()

    const counts = await instanceCounts(stack)
    const duplicates = answers.filter((answer) => counts.get(answer.body.id) !== 1)
    expect(duplicates.map((answer) => [answer.body.id, counts.get(answer.body.id)])).toEqual([])

    const licenseIds = new Set<string>()
    for (const answer of answers) {
      const status = await statusOfApplication(stack, answer.body.statusUrl)
      expect((await emailsTo(stack, status.body.email)).length).toBe(1)
      licenseIds.add(status.body.license.id)
    }
    expect(licenseIds.size).toBe(SUBMISSIONS)

    const { body: pushes } = await json<{ data: { status: string }[] }>(`${stack.urls.sandbox}/_sandbox/pushes`)
    expect(pushes.data.filter((push) => push.status === 'failed')).toEqual([])

    const created = answers.filter((answer) => answer.status === 201).length
    console.log(
      `rotation ${mode}: ${SUBMISSIONS} submissions (${created} 201, ${SUBMISSIONS - created} 202), ${failed.length} failed, ` +
        `${duplicates.length} duplicate instances, load+rotation ${rotatedAt - started} ms, backlog delivered ${drainedAt - rotatedAt} ms later`,
    )
  })
})
