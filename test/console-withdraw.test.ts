// The console's Withdraw end to end: an application awaiting approval in the sandbox DingTalk is
// withdrawn through the Access front door → its instance is TERMINATED (through the proxy's
// allowlist), the application `withdrawn` with one withdraw event, and the `terminate` event
// DingTalk sends after that (HTTP push or Stream) changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, emailsTo, eventually, instanceFor, instanceIdOf, json, startTestStack, statusOfApplication, submitApplication } from './helpers.ts'

let stack: Stack

/** A console request through the front door, with a token from the sandbox Access. */
async function asOperator(path: string, init: { method?: string; body?: unknown } = {}) {
  const { body: issued } = await json<{ data: { token: string } }>(`${stack.urls.sandbox}/_sandbox/access/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@licensedesk.local' }),
  })
  return json(`${stack.urls.access}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', origin: stack.urls.access, cookie: `CF_Authorization=${issued.data.token}` },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
}

type Detail = { application: { status: string }; events: { type: string; toStatus: string | null; source: string; data: Record<string, unknown> | null }[] }
const detailOf = async (id: string) => (await asOperator(`/api/admin/applications/${id}`)).body as Detail

/** DingTalk's `terminate` event reached the worker and was answered: an acked HTTP push or Stream frame. */
async function terminateDelivered(instanceId: string): Promise<boolean> {
  const { body: view } = await json<{ data: { push: { type?: string; status: string } } }>(`${stack.urls.sandbox}/_sandbox/instances/${instanceId}`)
  if (view.data.push.type === 'terminate' && view.data.push.status === 'delivered') return true
  const { body: stream } = await json<{ data: { instanceId: string; type: string; status: string }[] }>(`${stack.urls.sandbox}/_sandbox/stream/events`)
  return stream.data.some((e) => e.instanceId === instanceId && e.type === 'terminate' && e.status === 'acked')
}

describe.each(['http', 'stream'] as const)('console Withdraw over the whole stack (events by %s)', (events) => {
  beforeAll(async () => {
    // DingTalk refuses a terminate within 15 s of the create; the sandbox is told not to, to keep this fast.
    stack = await startTestStack(`console-withdraw-${events}`, { events, env: { sandbox: { DINGTALK_TERMINATE_MIN_AGE_MS: '0' } } })
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('terminates the DingTalk instance, withdraws the application once, and takes the terminate event that follows as a duplicate', async () => {
    const input = applicationInput({ locale: 'en' })
    const submitted = await submitApplication(stack, input)
    expect(submitted.status).toBe(201)
    const id = submitted.body.id
    const instanceId = instanceIdOf(await instanceFor(stack, id))
    await eventually(async () => (await detailOf(id)).application.status === 'pending_approval', 'pending_approval')

    const body = { reason: 'the customer cancelled the order', idempotencyKey: `withdraw-${Date.now()}` }
    const answer = await asOperator(`/api/admin/applications/${id}/withdraw`, { method: 'POST', body })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ applicationId: id, status: 'withdrawn', duplicate: false, terminated: true })

    const { body: sandboxView } = await json<{ data: { status: string; operationRecords: { type: string; remark?: string }[] } }>(
      `${stack.urls.sandbox}/_sandbox/instances/${instanceId}`,
    )
    expect(sandboxView.data.status).toBe('TERMINATED')
    expect(sandboxView.data.operationRecords.at(-1)).toMatchObject({ type: 'TERMINATE_PROCESS_INSTANCE', remark: body.reason })

    // DingTalk sends `terminate` (through the proxy, to the worker): delivered, i.e. the worker answered it.
    await eventually(() => terminateDelivered(instanceId), 'the terminate event delivered')

    const detail = await detailOf(id)
    expect(detail.application.status).toBe('withdrawn')
    const toWithdrawn = detail.events.filter((e) => e.toStatus === 'withdrawn')
    expect(toWithdrawn).toEqual([
      expect.objectContaining({ type: 'operator.withdraw', source: 'operator', data: { operator: 'ops@licensedesk.local', reason: body.reason, terminated: true, instanceId } }),
    ])
    // The echo was a duplicate: nothing recorded for it at all.
    expect(detail.events.filter((e) => e.type === 'dingtalk.terminate')).toEqual([])

    const again = await asOperator(`/api/admin/applications/${id}/withdraw`, { method: 'POST', body })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ status: 'withdrawn', duplicate: true })
    expect((await detailOf(id)).events).toHaveLength(detail.events.length)

    // The applicant sees it withdrawn and gets no mail (as for DingTalk's own terminate).
    expect((await statusOfApplication(stack, submitted.body.statusUrl)).body.status).toBe('withdrawn')
    expect(await emailsTo(stack, input.email)).toEqual([])
  })
})
