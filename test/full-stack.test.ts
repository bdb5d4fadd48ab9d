// The whole flow over real HTTP between real processes: worker (wrangler dev, local D1), egress
// proxy and the sandbox DingTalk + mailbox.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyLicense } from '../license/src/index.ts'
import type { Stack } from '../sandbox/src/stack.ts'
import type { DevSecrets } from '../sandbox/src/dev-keys.ts'
import { SANDBOX_ROBOT_SECRET, SANDBOX_ROBOT_TOKEN } from '../sandbox/src/robot/robot.ts'
import { SANDBOX_SECRET } from '../sandbox/src/turnstile/keys.ts'
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
} from './helpers.ts'

let stack: Stack

beforeAll(async () => {
  // Everything at debug, so the secrets test below reads the most the parts ever log.
  stack = await startTestStack('full-stack', { env: { worker: { LOG_LEVEL: 'debug' }, proxy: { LOG_LEVEL: 'debug' } } })
})

afterAll(async () => {
  await stack?.stop()
})

const application = (overrides: Record<string, unknown> = {}) => applicationInput(overrides)
/** Every status token handed out in this file: none may reach a log. */
const statusTokens: string[] = []
const submit = async (body: Record<string, unknown>) => {
  const answer = await submitApplication(stack, body)
  if (answer.body?.statusUrl) statusTokens.push(new URL(answer.body.statusUrl).searchParams.get('t')!)
  return answer
}
const statusOf = (statusUrl: string) => statusOfApplication(stack, statusUrl)

async function decide(applicationId: string, decision: 'approve' | 'reject') {
  const instance = await instanceFor(stack, applicationId)
  const { status } = await json(`${stack.urls.sandbox}/_sandbox/instances/${instanceIdOf(instance)}/${decision}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  expect(status).toBe(200)
  return instanceIdOf(instance)
}

describe('the local stack, end to end', () => {
  it('approves an application and emails exactly one license that verifies against the JWKS', async () => {
    const input = application()
    const created = await submit(input)
    expect(created.status).toBe(201)
    expect(created.body.status).toBe('pending_approval')

    const instance = await instanceFor(stack, created.body.id)
    const form = Object.fromEntries(instance.formComponentValues.map((field) => [field.name, field.value]))
    for (const value of [input.featureCode, '25', '90', input.name, input.company, input.email]) {
      expect(Object.values(form)).toContain(value)
    }

    await decide(created.body.id, 'approve')
    const [email] = await eventually(async () => {
      const emails = await emailsTo(stack, input.email)
      return emails.length > 0 && emails
    }, 'the license email')

    const status = await eventually(async () => {
      const { body } = await statusOf(created.body.statusUrl)
      return body.status === 'delivered' && body
    }, 'status delivered')
    expect(status.timeline.map((step: { status: string }) => step.status)).toEqual([
      'submitted',
      'pending_approval',
      'approved',
      'issued',
      'delivered',
    ])

    const attachment = email.attachments?.[0]
    expect(attachment?.filename).toBe(`hypermotion-${status.license.id}.lic`)
    const text = Buffer.from(attachment!.content, 'base64').toString('utf8')
    expect(text).toMatch(/^-----BEGIN LICENSE-----/)

    const jwks = await json(`${stack.urls.worker}/.well-known/jwks.json`)
    expect(jwks.status).toBe(200)
    const terms = await verifyLicense(text, {
      keys: jwks.body,
      product: 'hypermotion',
      featureCode: input.featureCode,
      now: new Date(),
    })
    expect(terms).toMatchObject({ fc: input.featureCode, qty: 25, aud: 'hypermotion', app: created.body.id })
    expect((terms as { exp: number; nbf: number }).exp - (terms as { nbf: number }).nbf).toBe(90 * 86400)
    expect(email.html).not.toContain('<Test & Co>')
    // The email carries the applicant's private status link.
    expect(email.text).toContain(created.body.statusUrl)

    // Nothing else arrives for this applicant.
    await new Promise((done) => setTimeout(done, 1500))
    expect(await emailsTo(stack, input.email)).toHaveLength(1)
  })

  it('rejects an application and emails one rejection notice without a license', async () => {
    const input = application({ locale: 'en' })
    const created = await submit(input)
    expect(created.status).toBe(201)
    await decide(created.body.id, 'reject')

    const emails = await eventually(async () => {
      const found = await emailsTo(stack, input.email)
      return found.length > 0 && found
    }, 'the rejection email')
    expect(emails).toHaveLength(1)
    expect(emails[0].attachments ?? []).toHaveLength(0)
    const { body } = await statusOf(created.body.statusUrl)
    expect(body.status).toBe('rejected')
    expect(body.license).toBeNull()
  })

  it('delivers one license and one email when the same push arrives three times', async () => {
    const input = application()
    const created = await submit(input)
    const instanceId = await decide(created.body.id, 'approve')
    await eventually(async () => (await emailsTo(stack, input.email)).length > 0, 'the first email')

    for (let i = 0; i < 2; i += 1) {
      const again = await json(`${stack.urls.sandbox}/_sandbox/instances/${instanceId}/push`, { method: 'POST' })
      expect(again.status).toBe(200)
    }
    await stack.triggerCron()
    await new Promise((done) => setTimeout(done, 1500))
    expect(await emailsTo(stack, input.email)).toHaveLength(1)
    const { body } = await statusOf(created.body.statusUrl)
    expect(body.status).toBe('delivered')
    expect(body.timeline.filter((step: { status: string }) => step.status === 'approved')).toHaveLength(1)
  })

  it('keeps an application when DingTalk is down and submits it from the cron later', async () => {
    await json(`${stack.urls.sandbox}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dingtalkDown: true }),
    })
    const input = application()
    const created = await submit(input)
    await json(`${stack.urls.sandbox}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dingtalkDown: false }),
    })
    expect(created.status).toBe(202)
    expect(created.body.error).toBeUndefined()
    expect(created.body.id).toBeTruthy()
    expect((await statusOf(created.body.statusUrl)).body.status).toBe('submitted')

    await eventually(async () => {
      await stack.triggerCron()
      return (await statusOf(created.body.statusUrl)).body.status === 'pending_approval'
    }, 'the cron to submit the kept application', 30_000)
    await instanceFor(stack, created.body.id)
  })

  it('refuses unsigned calls at the proxy and at the worker', async () => {
    const relay = await json(`${stack.urls.proxy}/relay/api/v1.0/workflow/processInstances`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(relay.status).toBe(401)
    expect(relay.body.error.code).toBe('PROOF_MISSING')

    const events = await json(`${stack.urls.worker}/internal/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ EventType: 'bpms_instance_change', processInstanceId: 'x', type: 'finish', result: 'agree' }),
    })
    expect(events.status).toBe(401)
    expect(events.body.error.code).toBe('PROOF_MISSING')
  })

  it('refuses DingTalk API calls that do not come from the whitelisted egress address', async () => {
    const direct = await json(`${stack.urls.sandbox}/v1.0/oauth2/accessToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appKey: 'x', appSecret: 'y' }),
    })
    expect(direct.status).toBe(403)
    expect(direct.body.code).toBe('Forbidden.AccessDenied.IpNotInWhiteList')
  })

  it('carries the security headers on the page, the hashed assets and the API, and caches only hashed assets', async () => {
    const page = await fetch(`${stack.urls.worker}/apply?fc=HM-TEST-0001`)
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1]
    expect(script).toBeDefined()
    const asset = await fetch(`${stack.urls.worker}${script}`)
    await asset.arrayBuffer()
    const api = await fetch(`${stack.urls.worker}/api/health`)
    await api.arrayBuffer()
    for (const response of [page, asset, api]) {
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toContain('unsafe-eval')
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
      expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=31536000/)
      expect(response.headers.get('x-frame-options')).toBe('DENY')
    }
    // Own scripts and named origins (Turnstile's) only: no keyword source beside 'self'.
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'( [a-z]+:\/\/[^;' ]+)*;/)
    expect(page.headers.get('cache-control')).toBe('no-cache')
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(api.headers.get('content-security-policy')).toMatch(/^default-src 'none'/)
  })

  it('keeps every secret out of the worker and proxy logs of all the runs above', async () => {
    const secrets = JSON.parse(await readFile(stack.secretsFile, 'utf8')) as DevSecrets
    const log = await readFile(join(ARTIFACTS, 'full-stack-stack.log'), 'utf8')
    const ours = log
      .split('\n')
      .filter((line) => line.startsWith('[worker]') || line.startsWith('[proxy]'))
      .join('\n')
    expect(ours).toContain('[proxy]')
    const values = {
      'worker private key': secrets.workerPrivateJwk.d,
      'proxy private key': secrets.proxyPrivateJwk.d,
      'license private key': secrets.licensePrivateJwk.d,
      'DingTalk app secret': secrets.dingtalk.appSecret,
      'DingTalk AES key': secrets.dingtalk.aesKey,
      'DingTalk callback token': secrets.dingtalk.callbackToken,
      'Resend API key': secrets.resendApiKey,
      'status token secret': secrets.statusTokenSecret,
      'Turnstile secret key': SANDBOX_SECRET,
      'DingTalk robot signing secret': SANDBOX_ROBOT_SECRET,
      'DingTalk robot access token': SANDBOX_ROBOT_TOKEN,
    }
    for (const [name, value] of Object.entries(values)) {
      expect(value, name).toBeTruthy()
      expect(ours.includes(value as string), `${name} appears in the logs`).toBe(false)
    }
    // The worker logs at info and debug too, not only warnings.
    expect(ours).toMatch(/\[worker\] \{"level":"info"/)
    expect(ours).toMatch(/\[worker\] \{"level":"debug"/)
    expect(statusTokens.length).toBeGreaterThan(3)
    for (const token of statusTokens) expect(ours.includes(token), 'a status token appears in the logs').toBe(false)
    // DingTalk's access token: the same one the sandbox hands any whitelisted caller while it is valid.
    const { body } = await request(`${stack.urls.sandbox}/v1.0/oauth2/accessToken`, {
      method: 'POST',
      dispatcher: new Agent({ localAddress: '127.0.0.2' }),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appKey: secrets.dingtalk.appKey, appSecret: secrets.dingtalk.appSecret }),
    })
    const { accessToken } = (await body.json()) as { accessToken: string }
    expect(accessToken).toMatch(/^[0-9a-f]{32}$/)
    expect(ours.includes(accessToken), 'the DingTalk access token appears in the logs').toBe(false)
    // No proof (a compact JWS with typ proof+jwt) either.
    for (const jws of ours.match(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? []) {
      expect(Buffer.from(jws.split('.')[0], 'base64url').toString(), 'a proof appears in the logs').not.toContain('proof+jwt')
    }
  })
})
