import { NEXT_RUN_MS } from '../backoff.ts'
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { generateEd25519Jwk } from '../../../proof/src/index.ts'
import { verifyLicense } from '../../../license/src/index.ts'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { alertOf, BASE, call, eventRequest, finishEvent, readJson, row, rows, runCron, submit, tokenOf, validApplication } from '../../test/helpers.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

async function pending(overrides: Record<string, unknown> = {}) {
  const body = validApplication(overrides)
  const created = await readJson(await submit(body))
  const app = await row<{ dingtalk_instance_id: string; created_at: number }>('SELECT * FROM applications WHERE id = ?1', created.id)
  return { ...created, body, instanceId: app!.dingtalk_instance_id, createdAt: app!.created_at, token: tokenOf(created.statusUrl) }
}

const sendEvent = async (event: unknown, overrides = {}) => call(await eventRequest(event, overrides))
const statusOf = async (id: string) => (await row<{ status: string }>('SELECT status FROM applications WHERE id = ?1', id))?.status
const emailsTo = (address: unknown) => fake.emails.filter((e) => e.payload.to === address)

describe('POST /internal/events: the proof', () => {
  const event = finishEvent('inst-unknown', 'agree')

  async function expectRejected(request: Request, code: string) {
    const response = await call(request)
    expect(response.status, code).toBe(401)
    expect(await readJson(response)).toEqual({ error: { code, message: expect.any(String) } })
  }

  it('rejects a request without a proof with 401 PROOF_MISSING', async () => {
    const request = await eventRequest(event)
    request.headers.delete('proof')
    await expectRejected(request, 'PROOF_MISSING')
  })

  it('rejects an altered signature with 401 PROOF_BAD_SIGNATURE', async () => {
    const request = await eventRequest(event)
    const proof = request.headers.get('proof')!
    const tampered = `${proof.slice(0, -4)}${proof.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
    request.headers.set('proof', tampered)
    await expectRejected(request, 'PROOF_BAD_SIGNATURE')
  })

  it('rejects a key it does not trust with 401 PROOF_UNKNOWN_KEY', async () => {
    const stranger = await generateEd25519Jwk()
    await expectRejected(await eventRequest(event, { key: JSON.stringify(stranger.privateJwk) }), 'PROOF_UNKNOWN_KEY')
  })

  it('rejects a proof addressed to the proxy with 401 PROOF_WRONG_AUDIENCE', async () => {
    await expectRejected(await eventRequest(event, { aud: 'licensedesk-egress-proxy' }), 'PROOF_WRONG_AUDIENCE')
  })

  it('rejects a body other than the signed one with 401 PROOF_BODY_MISMATCH', async () => {
    await expectRejected(await eventRequest(event, { proofBody: JSON.stringify(finishEvent('inst-unknown', 'refuse')) }), 'PROOF_BODY_MISMATCH')
  })

  it('rejects a proof for another target or method with 401 PROOF_WRONG_TARGET / PROOF_WRONG_METHOD', async () => {
    await expectRejected(await eventRequest(event, { target: '/internal/events?x=1' }), 'PROOF_WRONG_TARGET')
    await expectRejected(await eventRequest(event, { method: 'PUT' }), 'PROOF_WRONG_METHOD')
  })

  it('rejects an expired proof with 401 PROOF_EXPIRED', async () => {
    await expectRejected(await eventRequest(event, { now: Date.now() - 120_000 }), 'PROOF_EXPIRED')
  })

  it('rejects a replayed proof with 401 PROOF_REPLAYED', async () => {
    const first = await eventRequest(event)
    const replay = new Request(first.url, { method: 'POST', headers: first.headers, body: JSON.stringify(event) })
    expect((await call(first)).status).toBe(200)
    await expectRejected(replay, 'PROOF_REPLAYED')
  })
})

describe('POST /internal/events: approval events', () => {
  it('answers { ignored: true } for an instance it does not know', async () => {
    const response = await sendEvent(finishEvent('inst-not-ours', 'agree'))
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ ignored: true })
  })

  it('answers 413 PAYLOAD_TOO_LARGE for an event over 16 KB', async () => {
    const response = await sendEvent({ ...finishEvent('inst-big', 'agree'), title: 'x'.repeat(17 * 1024) })
    expect(response.status).toBe(413)
    expect((await readJson(response)).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('answers 400 INVALID_EVENT for a body that is not an approval event', async () => {
    const response = await sendEvent({ EventType: 'bpms_instance_change', type: 'finish' })
    expect(response.status).toBe(400)
    expect((await readJson(response)).error.code).toBe('INVALID_EVENT')
  })

  it('on approval issues one license and mails it; the license verifies against the JWKS with the requested terms', async () => {
    const app = await pending({ quantity: 12, validityDays: 180 })
    const response = await sendEvent(finishEvent(app.instanceId, 'agree', 'evt-approve-1'))
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ recorded: true })

    expect(await statusOf(app.id)).toBe('delivered')
    const licenses = await rows<{ id: string; text: string }>('SELECT * FROM licenses WHERE application_id = ?1', app.id)
    expect(licenses).toHaveLength(1)

    const mails = emailsTo(app.body.email)
    expect(mails).toHaveLength(1)
    const [mail] = mails
    const delivery = await row<{ id: string; status: string; resend_email_id: string }>(`SELECT * FROM deliveries WHERE application_id = ?1 AND kind IN ('license', 'rejection')`, app.id)
    expect(delivery).toMatchObject({ status: 'sent', resend_email_id: expect.stringMatching(/^email-/) })
    expect(mail.idempotencyKey).toBe(`delivery/${delivery!.id}`)
    expect(mail.payload.from).toBe(env.MAIL_FROM)
    expect(mail.payload.subject).toContain(licenses[0].id)
    expect(mail.payload.attachments).toHaveLength(1)
    const [attachment] = mail.payload.attachments!
    expect(attachment.filename).toBe(`hypermotion-${licenses[0].id}.lic`)
    const text = new TextDecoder().decode(Uint8Array.from(atob(attachment.content), (c) => c.charCodeAt(0)))
    expect(text).toBe(licenses[0].text)
    expect(text).toMatch(/^-----BEGIN LICENSE-----\n[\s\S]+\n-----END LICENSE-----\n?$/)

    const jwksResponse = await call(new Request(`${BASE}/.well-known/jwks.json`))
    const claims = await verifyLicense(text, { keys: await jwksResponse.json(), product: 'hypermotion', featureCode: app.body.featureCode as string })
    expect(claims).toMatchObject({ sub: licenses[0].id, aud: 'hypermotion', fc: app.body.featureCode, qty: 12, app: app.id, iss: env.PUBLIC_ORIGIN })
    expect(claims.exp - claims.nbf).toBe(180 * 86_400)
    expect(claims.cust).toEqual({ name: 'Li Lei', company: 'Example Co.', email: app.body.email })

    const view = await readJson(await call(new Request(`${BASE}/api/applications/${app.id}?t=${app.token}`)))
    expect(view.status).toBe('delivered')
    expect(view.timeline.map((t: { status: string }) => t.status)).toEqual(['submitted', 'pending_approval', 'approved', 'issued', 'delivered'])
    expect(view.license).toEqual({
      id: licenses[0].id,
      notBefore: new Date(claims.nbf * 1000).toISOString(),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      fileName: `hypermotion-${licenses[0].id}.lic`,
      revokedAt: null,
    })
  })

  it('changes nothing when the same event arrives three times: one license, one email, one event row', async () => {
    const app = await pending()
    const event = finishEvent(app.instanceId, 'agree', 'evt-dup-1')
    const answers = []
    for (let i = 0; i < 3; i++) answers.push(await readJson(await sendEvent(event)))
    expect(answers).toEqual([{ recorded: true }, { duplicate: true }, { duplicate: true }])
    // Same instance and type under another eventId is the same decision, too.
    expect(await readJson(await sendEvent(finishEvent(app.instanceId, 'agree', 'evt-dup-2')))).toEqual({ duplicate: true })

    expect(await rows('SELECT id FROM licenses WHERE application_id = ?1', app.id)).toHaveLength(1)
    expect(emailsTo(app.body.email)).toHaveLength(1)
    expect(await rows(`SELECT id FROM events WHERE application_id = ?1 AND type = 'dingtalk.finish'`, app.id)).toHaveLength(1)
    expect(await rows(`SELECT id FROM deliveries WHERE application_id = ?1 AND kind IN ('license', 'rejection')`, app.id)).toHaveLength(1)
  })

  it('on rejection mails one rejection without attachment and the application stays rejected', async () => {
    const app = await pending({ locale: 'zh-CN' })
    expect(await readJson(await sendEvent(finishEvent(app.instanceId, 'refuse')))).toEqual({ recorded: true })
    expect(await readJson(await sendEvent(finishEvent(app.instanceId, 'refuse')))).toEqual({ duplicate: true })
    expect(await statusOf(app.id)).toBe('rejected')
    const mails = emailsTo(app.body.email)
    expect(mails).toHaveLength(1)
    expect(mails[0].payload.attachments).toBeUndefined()
    expect(mails[0].payload.subject).toContain('未获批准')
    expect(await rows('SELECT id FROM licenses WHERE application_id = ?1', app.id)).toHaveLength(0)
    expect(await row(`SELECT status, kind FROM deliveries WHERE application_id = ?1 AND kind IN ('license', 'rejection')`, app.id)).toEqual({ status: 'sent', kind: 'rejection' })
  })

  it('on terminate marks the application withdrawn and mails nothing', async () => {
    const app = await pending()
    const event = { EventType: 'bpms_instance_change', processInstanceId: app.instanceId, type: 'terminate' }
    expect(await readJson(await sendEvent(event))).toEqual({ recorded: true })
    expect(await statusOf(app.id)).toBe('withdrawn')
    expect(emailsTo(app.body.email)).toHaveLength(0)
  })

  it('records a start event without changing the status', async () => {
    const app = await pending()
    const event = { EventType: 'bpms_instance_change', processInstanceId: app.instanceId, type: 'start' }
    expect(await readJson(await sendEvent(event))).toEqual({ recorded: true })
    expect(await readJson(await sendEvent(event))).toEqual({ duplicate: true })
    expect(await statusOf(app.id)).toBe('pending_approval')
  })

  it('escapes a hostile name in the license email', async () => {
    const name = `<script>alert(1)</script>"&'`
    const app = await pending({ name })
    await sendEvent(finishEvent(app.instanceId, 'agree'))
    const [mail] = emailsTo(app.body.email)
    expect(mail.payload.html).not.toContain('<script>')
    expect(mail.payload.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;')
    expect(mail.payload.text).toContain(name)
  })

  it('retries a failed send later with the same Idempotency-Key, then delivers exactly once', async () => {
    const app = await pending()
    fake.mailFailures = 1
    expect(await readJson(await sendEvent(finishEvent(app.instanceId, 'agree')))).toEqual({ recorded: true })
    expect(await statusOf(app.id)).toBe('issued')
    const delivery = await row<{ id: string; status: string; attempts: number; next_attempt_at: number; updated_at: number }>(
      `SELECT * FROM deliveries WHERE application_id = ?1 AND kind IN ('license', 'rejection')`,
      app.id,
    )
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1 })
    expect(delivery!.next_attempt_at - delivery!.updated_at).toBe(NEXT_RUN_MS)
    expect(emailsTo(app.body.email)).toHaveLength(0)

    await runCron(delivery!.updated_at + NEXT_RUN_MS - 10_000)
    expect(fake.mailAttempts.filter((a) => a.idempotencyKey === `delivery/${delivery!.id}`)).toHaveLength(1)
    await runCron(delivery!.updated_at + NEXT_RUN_MS + 1_000)
    expect(await statusOf(app.id)).toBe('delivered')
    const attempts = fake.mailAttempts.filter((a) => a.idempotencyKey === `delivery/${delivery!.id}`)
    expect(attempts.map((a) => a.status)).toEqual([500, 200])
    expect(emailsTo(app.body.email)).toHaveLength(1)
    expect(await rows('SELECT id FROM licenses WHERE application_id = ?1', app.id)).toHaveLength(1)
    expect(await row('SELECT status, attempts FROM deliveries WHERE id = ?1', delivery!.id)).toEqual({ status: 'sent', attempts: 2 })
  })

  it('gives a delivery up when it is a day old and still not sent: application failed, operator alerted', async () => {
    const app = await pending()
    fake.mailFailures = 100
    const errors = vi.spyOn(console, 'error')
    await sendEvent(finishEvent(app.instanceId, 'agree'))
    // The event's own send (in waitUntil) fails first; let it finish before the cron runs.
    for (let i = 0; i < 50 && (await row<{ attempts: number }>(`SELECT attempts FROM deliveries WHERE application_id = ?1 AND kind IN ('license', 'rejection')`, app.id))?.attempts !== 1; i++) {
      await new Promise((done) => setTimeout(done, 20))
    }
    const time = Date.now()
    await runCron(time + 23 * 3_600_000)
    expect(await row(`SELECT status, attempts FROM deliveries WHERE application_id = ?1 AND kind IN ('license', 'rejection')`, app.id)).toEqual({ status: 'pending', attempts: 2 })
    await runCron(time + 25 * 3_600_000)
    expect(await row(`SELECT status, attempts FROM deliveries WHERE application_id = ?1 AND kind IN ('license', 'rejection')`, app.id)).toEqual({ status: 'failed', attempts: 3 })
    expect(await statusOf(app.id)).toBe('failed')
    expect(await alertOf('APPLICATION_FAILED', app.id)).toMatchObject({ state: 'firing' })
  })
})

describe('GET /.well-known/jwks.json', () => {
  it('serves the current public key, no private parts, with caching and an ETag', async () => {
    const response = await call(new Request(`${BASE}/.well-known/jwks.json`))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('public, max-age=300')
    const jwks = await readJson<{ keys: Record<string, unknown>[] }>(response)
    const current = JSON.parse(env.LICENSE_PRIVATE_JWK)
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', x: current.x, kid: current.kid })])
    expect(jwks.keys.some((k) => 'd' in k)).toBe(false)

    const etag = response.headers.get('etag')!
    const again = await call(new Request(`${BASE}/.well-known/jwks.json`, { headers: { 'if-none-match': etag } }))
    expect(again.status).toBe(304)
  })

  it('adds still-trusted keys from LICENSE_PUBLIC_JWKS, deduplicated', async () => {
    const old = await generateEd25519Jwk()
    const current = JSON.parse(env.LICENSE_PRIVATE_JWK)
    const { d: _d, ...currentPublic } = current
    const bindings = { ...env, LICENSE_PUBLIC_JWKS: JSON.stringify({ keys: [old.publicJwk, currentPublic] }) }
    const jwks = await readJson<{ keys: { kid: string }[] }>(await call(new Request(`${BASE}/.well-known/jwks.json`), bindings))
    expect(jwks.keys.map((k) => k.kid)).toEqual([current.kid, old.publicJwk.kid])
  })
})
