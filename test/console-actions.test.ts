// The console's actions end to end, through the sandbox Access front door: Resend to a corrected
// address arrives once with the same license; Resubmit of a failed application makes exactly one
// DingTalk instance whose approval is mailed; a revoked license fails the CLI's verify given the
// published revocation list, and the applicant's status says it was revoked.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import {
  ROOT,
  applicationInput,
  decideInSandbox,
  emailsTo,
  eventually,
  instanceCounts,
  json,
  runCronAt,
  startTestStack,
  statusOfApplication,
  submitApplication,
  type SandboxEmail,
} from './helpers.ts'

const run = promisify(execFile)

let stack: Stack

beforeAll(async () => {
  // A resubmitted application that was tried before is searched for in DingTalk first, not before
  // SUBMIT_ADOPT_AFTER_MS past its first attempt: a second here, so the test need not wait a minute.
  stack = await startTestStack('console-actions', { env: { worker: { SUBMIT_ADOPT_AFTER_MS: '1000' } } })
})

afterAll(async () => {
  await stack?.stop()
})

/** An operator's action through the front door, with a token from the sandbox Access. */
async function act(id: string, action: string, body: Record<string, unknown>) {
  return post(`/applications/${id}/${action}`, body)
}

async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const { body: issued } = await json<{ data: { token: string } }>(`${stack.urls.sandbox}/_sandbox/access/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@licensedesk.local' }),
  })
  return json(`${stack.urls.access}/api/admin${path}`, {
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

  it('resubmits a failed application: exactly one DingTalk instance, and its approval is mailed', async () => {
    const faults = (patch: Record<string, unknown>) =>
      json(`${stack.urls.sandbox}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) })
    await faults({ dingtalkDown: '503' })
    const input = applicationInput({ locale: 'en' })
    const submitted = await submitApplication(stack, input)
    expect(submitted.status).toBe(202)
    const id = submitted.body.id
    // A day of DingTalk answering 503: cron run a day and a minute later gives the submission up.
    await runCronAt(stack, Date.now() + 86_400_000 + 60_000)
    await eventually(async () => (await statusOfApplication(stack, submitted.body.statusUrl)).body.status === 'failed', 'the application failed')
    expect((await instanceCounts(stack)).get(id)).toBeUndefined()
    await faults({ dingtalkDown: false })

    const body = { reason: 'DingTalk is back; submit it again', idempotencyKey: `resubmit-${Date.now()}` }
    const answer = await act(id, 'resubmit', body)
    expect(answer.status).toBe(202)
    expect(answer.body).toMatchObject({ applicationId: id, status: 'submitted', duplicate: false })
    expect((await act(id, 'resubmit', body)).body).toMatchObject({ duplicate: true })
    // The search (nothing found) then the create: right after the answer, or in the next cron run.
    await eventually(async () => {
      if ((await statusOfApplication(stack, submitted.body.statusUrl)).body.status === 'pending_approval') return true
      await runCronAt(stack)
      return false
    }, 'the application awaiting approval')
    // Cron runs meanwhile must not create a second one.
    await runCronAt(stack)
    expect((await instanceCounts(stack)).get(id)).toBe(1)

    await decideInSandbox(stack, id, 'approve')
    const [mail] = await eventually(async () => {
      const emails = await emailsTo(stack, input.email)
      return emails.length > 0 && emails
    }, 'the license email after the resubmit')
    expect(mail.attachments?.[0].filename).toMatch(/^hypermotion-LIC-/)
    expect((await instanceCounts(stack)).get(id)).toBe(1)
  })

  it('a revoked license fails the CLI verify given the published list; the status page says so', async () => {
    const input = applicationInput({ locale: 'en' })
    const submitted = await submitApplication(stack, input)
    expect(submitted.status).toBe(201)
    await decideInSandbox(stack, submitted.body.id, 'approve')
    const [mail] = await eventually(async () => {
      const emails = await emailsTo(stack, input.email)
      return emails.length > 0 && emails
    }, 'the license email')
    const dir = await mkdtemp(join(tmpdir(), 'revoked-'))
    try {
      const licenseFile = join(dir, 'license.lic')
      await writeFile(licenseFile, Buffer.from((mail as SandboxEmail).attachments![0].content, 'base64'))
      const verify = async () => {
        const args = ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', 'license/src/cli.ts', 'verify', licenseFile]
        const checks = ['--product', 'hypermotion', '--feature-code', input.featureCode, '--jwks', `${stack.urls.worker}/.well-known/jwks.json`]
        const list = ['--revocations', `${stack.urls.worker}/.well-known/license-revocations.jwt`, '--json']
        return run(process.execPath, [...args, ...checks, ...list], { cwd: ROOT }).then(
          ({ stdout }) => ({ code: 0, out: JSON.parse(stdout) }),
          (err: { code: number; stdout: string }) => ({ code: err.code, out: JSON.parse(err.stdout) }),
        )
      }
      expect(await verify()).toMatchObject({ code: 0, out: { valid: true } })

      const status = await statusOfApplication(stack, submitted.body.statusUrl)
      const licenseId = status.body.license.id as string
      expect(status.body.license.revokedAt).toBeNull()
      const revoked = await post(`/licenses/${licenseId}/revoke`, { reason: 'refund issued', idempotencyKey: `revoke-${Date.now()}` })
      expect(revoked.status).toBe(200)
      expect(revoked.body).toMatchObject({ licenseId, status: 'revoked', duplicate: false })

      expect(await verify()).toMatchObject({ code: 6, out: { valid: false, code: 'REVOKED' } })
      expect((await statusOfApplication(stack, submitted.body.statusUrl)).body.license.revokedAt).toEqual(expect.any(String))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
