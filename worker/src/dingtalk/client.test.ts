import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { importSigningKey } from '../../../proof/src/index.ts'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { loadConfig } from '../config.ts'
import { dingtalkFor } from './egress.ts'
import { createDingTalkClient, parseEgressUrls } from './client.ts'
import { DingTalkOutcomeUnknownError, EgressUnavailableError } from '../errors.ts'

const A = 'http://proxy-a.test'
const B = 'http://proxy-b.test'
let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

async function client(options: { start?: number; timeoutMs?: number; urls?: string[] } = {}) {
  return createDingTalkClient({
    egressUrls: options.urls ?? [A, B],
    signingKey: await importSigningKey(env.WORKER_PRIVATE_JWK),
    requestId: 'test',
    start: options.start ?? 0,
    timeoutMs: options.timeoutMs,
    preflightTimeoutMs: 300,
  })
}
const input = {
  processCode: env.DINGTALK_PROCESS_CODE,
  originatorUserId: 'licensedesk-bot',
  deptId: -1,
  formComponentValues: [{ name: '申请编号', value: 'LD-X' }],
}
const proxiesCalled = () => fake.relayCalls.map((c) => c.proxy)

describe('DingTalk client: failover between proxies', () => {
  it('reads EGRESS_URL as a comma-separated list', () => {
    expect(parseEgressUrls(' http://a.test/ , http://b.test,,')).toEqual(['http://a.test', 'http://b.test'])
  })

  it('sends a create to a ready proxy before one whose /readyz says it is draining', async () => {
    fake.proxies.set(A, 'draining')
    const { instanceId } = await (await client()).createInstance(input)
    expect(fake.instances.has(instanceId)).toBe(true)
    expect(fake.readyzCalls).toEqual([A, B])
    expect(proxiesCalled()).toEqual([B])
    expect(fake.instances.size).toBe(1)
  })

  it('moves a read to the next proxy when one answers 503 PROXY_DRAINING, with a fresh proof', async () => {
    const dingtalk = await client()
    const { instanceId } = await dingtalk.createInstance(input)
    fake.relayCalls.length = 0
    fake.proxies.set(A, 'draining')
    fake.proxies.set(B, 'draining')
    await expect(dingtalk.getInstance(instanceId)).rejects.toThrow(/no egress proxy relayed/)
    fake.proxies.set(B, 'up')
    await dingtalk.getInstance(instanceId)
    expect(proxiesCalled().slice(-2)).toEqual([A, B])
    // One replay store behind both fakes: a re-sent proof would have been refused as PROOF_REPLAYED.
    expect(fake.relayCalls.map((c) => c.proofError).every((e) => e === null)).toBe(true)
  })

  it('moves on after 401 PROOF_PREDATES_PROXY and 502 UPSTREAM_UNREACHABLE (not relayed)', async () => {
    fake.proxies.set(A, 'predates')
    await (await client()).createInstance(input)
    expect(proxiesCalled()).toEqual([A, B])
    fake.relayCalls.length = 0
    fake.proxies.set(A, 'unreachable')
    await (await client()).createInstance(input)
    expect(proxiesCalled()).toEqual([A, B])
    expect(fake.instances.size).toBe(2)
  })

  it('rotates the first proxy from call to call', async () => {
    const dingtalk = await client()
    await dingtalk.createInstance(input)
    await dingtalk.createInstance(input)
    await dingtalk.createInstance(input)
    expect(proxiesCalled()).toEqual([A, B, A])
  })

  it('throws EgressUnavailableError when no proxy relays', async () => {
    fake.proxies.set(A, 'draining')
    fake.proxies.set(B, 'unreachable')
    await expect((await client()).createInstance(input)).rejects.toBeInstanceOf(EgressUnavailableError)
    // The draining one last: it is about to close its listener.
    expect(proxiesCalled()).toEqual([B, A])
  })

  it('moves a read on after a timeout or a lost connection', async () => {
    const { instanceId } = await (await client()).createInstance(input)
    fake.relayCalls.length = 0
    fake.proxies.set(A, 'hang')
    expect((await (await client({ timeoutMs: 200 })).getInstance(instanceId)).status).toBe('RUNNING')
    fake.proxies.set(A, 'down')
    expect((await (await client()).getInstance(instanceId)).status).toBe('RUNNING')
    expect(proxiesCalled()).toEqual([A, B, A, B])
  })

  it('never sends a create again when DingTalk got it but the answer was lost (504 UPSTREAM_TIMEOUT)', async () => {
    fake.createOutcomes.push('timeout-after-create')
    await expect((await client()).createInstance(input)).rejects.toBeInstanceOf(DingTalkOutcomeUnknownError)
    expect(proxiesCalled()).toEqual([A])
    expect(fake.instances.size).toBe(1)
  })

  it('treats the worker timeout and a connection lost after the create was sent as outcome unknown', async () => {
    fake.createOutcomes.push('hang-after-create')
    await expect((await client({ timeoutMs: 200 })).createInstance(input)).rejects.toBeInstanceOf(DingTalkOutcomeUnknownError)
    fake.createOutcomes.push('reset-after-create')
    await expect((await client()).createInstance(input)).rejects.toBeInstanceOf(DingTalkOutcomeUnknownError)
    expect(proxiesCalled()).toEqual([A, A])
    expect(fake.instances.size).toBe(2)
  })

  it('skips a proxy whose /readyz cannot be reached before sending it a create (workerd cannot tell refused from reset)', async () => {
    fake.proxies.set(A, 'down')
    const { instanceId } = await (await client()).createInstance(input)
    expect(fake.instances.has(instanceId)).toBe(true)
    expect(fake.readyzCalls).toEqual([A, B])
    expect(proxiesCalled()).toEqual([B])
    fake.relayCalls.length = 0
    fake.proxies.set(A, 'hang')
    await (await client()).createInstance(input)
    expect(proxiesCalled()).toEqual([B])
    fake.proxies.set(B, 'down')
    await expect((await client()).createInstance(input)).rejects.toBeInstanceOf(EgressUnavailableError)
  })

  it('treats a 5xx from no proxy (a tunnel or balancer) as outcome unknown on a create and moves a read on', async () => {
    const seen: string[] = []
    const stranger = async (url: string, init: RequestInit) => {
      seen.push(url)
      if (url.startsWith(A) && !url.endsWith('/readyz')) return new Response('<html>bad gateway</html>', { status: 502 })
      return fake.handle(new Request(url, init))
    }
    const behind = async () =>
      createDingTalkClient({ egressUrls: [A, B], signingKey: await importSigningKey(env.WORKER_PRIVATE_JWK), requestId: 't', start: 0, fetch: stranger })
    await expect((await behind()).createInstance(input)).rejects.toBeInstanceOf(DingTalkOutcomeUnknownError)
    const { instanceId } = await (await client({ start: 1 })).createInstance(input)
    seen.length = 0
    await (await behind()).getInstance(instanceId)
    expect(seen.map((u) => new URL(u).origin)).toEqual([A, B])
  })

  it('does not try the next proxy after 403 NOT_ALLOWED (the allowlist is the same everywhere) nor after a DingTalk 4xx', async () => {
    const seen: string[] = []
    const refusing = async (url: string) => {
      seen.push(new URL(url).origin)
      return new Response(JSON.stringify({ error: { code: 'NOT_ALLOWED', message: 'no' } }), { status: 403, headers: { 'x-licensedesk-proxy': 'a' } })
    }
    const dingtalk = createDingTalkClient({ egressUrls: [A, B], signingKey: await importSigningKey(env.WORKER_PRIVATE_JWK), requestId: 't', start: 0, fetch: refusing })
    expect(await dingtalk.getInstance('inst-x').catch((e: unknown) => e)).toMatchObject({ code: 'DINGTALK_REJECTED', upstreamCode: 'NOT_ALLOWED' })
    expect(seen).toEqual([A])
    const missing = await (await client()).getInstance('inst-missing').catch((e: unknown) => e)
    expect(missing).toMatchObject({ code: 'DINGTALK_REJECTED', upstreamCode: 'processInstanceNotExist' })
    expect(proxiesCalled()).toEqual([A])
  })

  it('sends every relay through the EGRESS service binding when it is bound', async () => {
    const binding = { fetch: vi.fn((input: RequestInfo | URL, init?: RequestInit) => fake.handle(new Request(input, init))) }
    const bound = { ...env, EGRESS: binding as unknown as Fetcher }
    const config = await loadConfig(bound)
    await dingtalkFor(bound, config, 'test').createInstance(input)
    // The /readyz check and the create.
    expect(binding.fetch).toHaveBeenCalledTimes(2)
    expect(globalThis.fetch).not.toHaveBeenCalled()
  })
})

describe('DingTalk client: terminate', () => {
  const terminate = (instanceId: string) => ({ instanceId, operatingUserId: 'licensedesk-bot', remark: 'customer cancelled' })

  it('sends a non-system terminate by the originator and answers terminated', async () => {
    fake.seedInstance('inst-t1')
    expect(await (await client()).terminateInstance(terminate('inst-t1'))).toEqual({ outcome: 'terminated' })
    expect(fake.terminates).toEqual([{ processInstanceId: 'inst-t1', isSystem: false, remark: 'customer cancelled', operatingUserId: 'licensedesk-bot' }])
    expect(fake.relayCalls.map((c) => [c.method, c.target])).toEqual([['POST', '/relay/api/v1.0/workflow/processInstances/terminate']])
  })

  it("types DingTalk's state and permission refusals as not_running and not_permitted, and throws DINGTALK_REJECTED for others", async () => {
    fake.seedInstance('inst-t2', 'COMPLETED', 'agree')
    const dingtalk = await client()
    expect(await dingtalk.terminateInstance(terminate('inst-t2'))).toMatchObject({ outcome: 'not_running', upstreamCode: 'aflowProcessInstStatusException' })
    fake.terminateErrors.push({ status: 400, code: 'internalError', message: '审批系统错误' })
    expect(await dingtalk.terminateInstance(terminate('inst-t2'))).toMatchObject({ outcome: 'not_permitted', upstreamCode: 'internalError' })
    expect(await dingtalk.terminateInstance(terminate('inst-none')).catch((e: unknown) => e)).toMatchObject({ code: 'DINGTALK_REJECTED', upstreamCode: 'aflowProcessInstNotExist' })
  })

  it('moves a terminate to the next proxy when one did not relay it, and throws DINGTALK_UNAVAILABLE when none did', async () => {
    fake.seedInstance('inst-t3')
    fake.proxies.set(A, 'draining')
    expect(await (await client()).terminateInstance(terminate('inst-t3'))).toEqual({ outcome: 'terminated' })
    expect(proxiesCalled()).toEqual([A, B])
    fake.proxies.set(B, 'down')
    fake.seedInstance('inst-t4')
    expect(await (await client()).terminateInstance(terminate('inst-t4')).catch((e: unknown) => e)).toBeInstanceOf(EgressUnavailableError)
    expect(fake.instances.get('inst-t4')?.status).toBe('RUNNING')
  })
})
