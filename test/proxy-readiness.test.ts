// The proxy's readiness tells the truth, checked against the real worker and sandbox: each
// misconfiguration an operator can make gives its stable code to the worker (signed caller) and
// only "not ready" to anyone else; and a SIGTERM with relays in flight fails none of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateEd25519Jwk } from '../proof/src/index.ts'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, eventually, freePort, instanceCounts, json, readinessOf as readinessNow, sleep, startTestStack, submitApplication } from './helpers.ts'

/**
 * A proxy's readiness once past start-up: a round trip to a worker still compiling its module
 * (slow on a loaded machine) can time out and be cached for 5 s as WORKER_UNREACHABLE. These
 * tests are about the steady answer, so that transient is waited out (up to 20 s), nothing else.
 */
async function readinessOf(stack: Stack, url: string, signWith?: object, settle = true): Promise<{ status: number; body: any }> {
  if (!settle) return readinessNow(stack, url, signWith)
  return eventually(async () => {
    const answer = await readinessNow(stack, url, signWith)
    return answer.body?.checks?.worker === 'WORKER_UNREACHABLE' ? undefined : answer
  }, `a settled readiness answer from ${url}`, 20_000)
}

type Fault = { name: string; env: (ports: { sandbox: number; closed: number }) => Record<string, string>; check: string; code: string; egress?: string }

const stranger = await generateEd25519Jwk()
const wrongWorkerKey = await generateEd25519Jwk()
const FAULTS: Fault[] = [
  { name: 'an egress address DingTalk has not whitelisted', env: () => ({}), egress: '127.0.0.9', check: 'token', code: 'IP_NOT_WHITELISTED' },
  { name: 'a wrong app secret', env: () => ({ DINGTALK_APP_SECRET: 'not-the-secret' }), check: 'token', code: 'DINGTALK_CREDENTIALS_INVALID' },
  { name: 'WORKER_URL pointing at another HTTP server', env: ({ sandbox }) => ({ WORKER_URL: `http://127.0.0.1:${sandbox}` }), check: 'worker', code: 'WORKER_NOT_LICENSEDESK' },
  { name: 'WORKER_URL where nothing listens', env: ({ closed }) => ({ WORKER_URL: `http://127.0.0.1:${closed}` }), check: 'worker', code: 'WORKER_UNREACHABLE' },
  { name: 'a proxy key the worker does not know', env: () => ({ PROXY_PRIVATE_JWK: JSON.stringify(stranger.privateJwk) }), check: 'worker', code: 'PROXY_KEY_UNKNOWN_TO_WORKER' },
]

let stack: Stack
let closedPort: number
const ports: number[] = []

beforeAll(async () => {
  closedPort = await freePort()
  for (let i = 0; i < FAULTS.length + 2; i++) ports.push(await freePort())
  const sandboxPort = await freePort()
  // proxy 0 is healthy, proxy 1 trusts the wrong worker key, then one proxy per fault.
  stack = await startTestStack('proxy-readiness', {
    proxies: [
      { port: ports[0], egressAddress: '127.0.0.2', env: { DRAIN_DELAY_MS: '1500', DRAIN_TIMEOUT_MS: '8000' } },
      { port: ports[1], egressAddress: '127.0.0.2', env: { WORKER_PUBLIC_JWK: JSON.stringify(wrongWorkerKey.publicJwk) } },
      ...FAULTS.map((fault, i) => ({ port: ports[i + 2], egressAddress: fault.egress ?? '127.0.0.2', whitelisted: !fault.egress, env: fault.env({ sandbox: sandboxPort, closed: closedPort }) })),
    ],
    ports: { sandbox: sandboxPort },
    // The drain test asserts each relay in flight ends in a 201; on a loaded machine a create
    // (1.5 s in DingTalk here) can pass the usual 4 s answer deadline, which would be a 202.
    env: { worker: { SUBMIT_ANSWER_WITHIN_MS: '15000' } },
  })
})

afterAll(async () => {
  await stack?.stop()
})

describe('proxy readiness', () => {
  it('is ready with every check ok when everything is right, and tells a stranger only that', async () => {
    const signed = await readinessOf(stack, stack.urls.proxies[0])
    expect(signed.status).toBe(200)
    expect(signed.body.checks).toMatchObject({ token: 'ok', worker: 'ok', events: 'ok' })
    const unsigned = await json(`${stack.urls.proxies[0]}/readyz`)
    expect(unsigned).toEqual({ status: 200, body: { ok: true } })
  })

  it('is not ready with WORKER_KEY_MISMATCH when it trusts another worker key', async () => {
    // Our worker's proof means nothing to it (it trusts another key): it says only "not ready".
    expect(await readinessOf(stack, stack.urls.proxies[1])).toEqual({ status: 503, body: { ok: false } })
    // Asked with the key it does trust, it names the fault: the real worker's answer does not verify.
    const signed = await readinessOf(stack, stack.urls.proxies[1], wrongWorkerKey.privateJwk)
    expect(signed.status, JSON.stringify(signed.body)).toBe(503)
    expect(signed.body.checks.worker).toBe('WORKER_KEY_MISMATCH')
  })

  it.each(FAULTS.map((fault, i) => [fault.name, fault, i + 2] as const))('is not ready with its code for %s', async (_name, fault, index) => {
    const url = stack.urls.proxies[index]
    // The fault that is WORKER_UNREACHABLE itself is read as it is.
    const signed = await readinessOf(stack, url, undefined, fault.code !== 'WORKER_UNREACHABLE')
    expect(signed.status, JSON.stringify(signed.body)).toBe(503)
    expect(signed.body.checks[fault.check]).toBe(fault.code)
    const unsigned = await json(`${url}/readyz`)
    expect(unsigned).toEqual({ status: 503, body: { ok: false } })
  })
})

describe('SIGTERM with relays in flight', () => {
  it('fails nothing in flight and refuses nothing while the proxy still reports ready', async () => {
    // Only the healthy proxy takes part: the others are not ready, and the worker's list still
    // names them, so stop them first.
    for (let i = 1; i < FAULTS.length + 2; i++) await stack.stopPart(`proxy:${i}`)
    await json(`${stack.urls.sandbox}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ createDelayMs: 1500 }) })
    const dingtalkCalls = async () => (await json<{ data: { current: { total: number } } }>(`${stack.urls.sandbox}/_sandbox/calls`)).body.data.current.total
    const callsBefore = await dingtalkCalls()
    const inFlight = Array.from({ length: 5 }, () => submitApplication(stack, applicationInput()))
    // SIGTERM once all five creates are in DingTalk (each held there 1.5 s), not after a guess.
    await eventually(async () => (await dingtalkCalls()) >= callsBefore + 5, 'five creates in flight at DingTalk', 15_000)
    const readyBefore = (await fetch(`${stack.urls.proxies[0]}/readyz`)).status
    const exit = stack.terminatePart('proxy')
    await sleep(100)
    const readyDuring = (await fetch(`${stack.urls.proxies[0]}/readyz`)).status
    const answers = await Promise.all(inFlight)
    expect(readyBefore).toBe(200)
    expect(readyDuring).toBe(503)
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201, 201])
    expect(await exit).toBe(0)
    const counts = await instanceCounts(stack)
    expect(answers.map((answer) => counts.get(answer.body.id))).toEqual([1, 1, 1, 1, 1])
  })
})
