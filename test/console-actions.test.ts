// The console's Resend end to end: an approved application's license mailed again, through the
// sandbox Access front door, to a corrected address — arriving there once, with the same license.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, decideInSandbox, emailsTo, eventually, json, startTestStack, submitApplication } from './helpers.ts'

let stack: Stack

beforeAll(async () => {
  stack = await startTestStack('console-actions')
})

afterAll(async () => {
  await stack?.stop()
})

/** An operator's action through the front door, with a token from the sandbox Access. */
async function act(id: string, action: string, body: Record<string, unknown>) {
  const { body: issued } = await json<{ data: { token: string } }>(`${stack.urls.sandbox}/_sandbox/access/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@licensedesk.local' }),
  })
  return json(`${stack.urls.access}/api/admin/applications/${id}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: stack.urls.access, cookie: `CF_Authorization=${issued.data.token}` },
    body: JSON.stringify(body),
  })
}

describe('console actions over the whole stack', () => {
  it('resends the license to a corrected address once, with the same license file', async () => {
    const input = applicationInput({ locale: 'en' })
    const submitted = await submitApplication(stack, input)
    expect(submitted.status).toBe(201)
    const id = submitted.body.id as string
    await decideInSandbox(stack, id, 'approve')
    const [first] = await eventually(async () => {
      const emails = await emailsTo(stack, input.email)
      return emails.length > 0 && emails
    }, 'the license email')
    const corrected = `fixed-${Date.now()}@example.com`
    const body = { reason: 'the customer mistyped the address', email: corrected, idempotencyKey: `resend-${Date.now()}` }
    const answer = await act(id, 'resend', body)
    expect(answer.status).toBe(202)
    expect(answer.body).toMatchObject({ applicationId: id, to: corrected, duplicate: false })
    const again = await act(id, 'resend', body)
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ deliveryId: answer.body.deliveryId, duplicate: true })

    const [resent] = await eventually(async () => {
      const emails = await emailsTo(stack, corrected)
      return emails.length > 0 && emails
    }, 'the resent license email')
    // The same file: the license was not issued again.
    expect(resent.attachments?.[0].filename).toBe(first.attachments?.[0].filename)
    expect(resent.attachments?.[0].content).toBe(first.attachments?.[0].content)
    // And once: a moment later still one, and the first address got nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await emailsTo(stack, corrected)).toHaveLength(1)
    expect(await emailsTo(stack, input.email)).toHaveLength(1)
  })
})
