import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { BASE, call, eventRequest, finishEvent, readJson, row, rows, runCron, submit, validApplication } from '../../test/helpers.ts'
import { deriveRenewalToken } from './token.ts'
import { loadConfig } from '../config.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const DAY = 86_400
type Issued = { applicationId: string; licenseId: string; body: Record<string, unknown>; nbf: number; exp: number; token: string }

async function approve(applicationId: string): Promise<void> {
  const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', applicationId)
  expect((await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, 'agree')))).status).toBe(200)
}

async function issued(overrides: Record<string, unknown> = {}): Promise<Issued> {
  const body = validApplication({ validityDays: 90, ...overrides })
  const created = await readJson(await submit(body))
  await approve(created.id)
  const license = await row<{ id: string; nbf: number; exp: number }>('SELECT id, nbf, exp FROM licenses WHERE application_id = ?1', created.id)
  const token = await deriveRenewalToken((await loadConfig(env)).statusTokenKey, license!.id)
  return { applicationId: created.id, licenseId: license!.id, body, nbf: license!.nbf, exp: license!.exp, token }
}

const prefill = (licenseId: string, token: string) => call(new Request(`${BASE}/api/renewals/${licenseId}?t=${encodeURIComponent(token)}`))
const renewalOf = (old: Issued, overrides: Record<string, unknown> = {}) =>
  validApplication({ ...old.body, email: old.body.email, validityDays: 180, renews: { licenseId: old.licenseId, token: old.token }, ...overrides })
const revoke = (licenseId: string) =>
  env.DB.prepare(`UPDATE licenses SET revoked_at = 1, revoked_by = 'ops@example.com', revocation_reason = 'test' WHERE id = ?1`).bind(licenseId).run()
const countApplications = async () => (await row<{ n: number }>('SELECT COUNT(*) AS n FROM applications'))!.n

describe('GET /api/renewals/:licenseId', () => {
  it('answers the license terms and customer for the page, the new period to choose', async () => {
    const old = await issued({ quantity: 7, name: 'Han Meimei', company: 'Acme' })
    const response = await prefill(old.licenseId, old.token)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await readJson(response)).toMatchObject({
      licenseId: old.licenseId,
      product: { id: 'hypermotion', name: 'HyperMotion' },
      featureCode: old.body.featureCode,
      quantity: 7,
      validityDays: 90,
      expiresAt: new Date(old.exp * 1000).toISOString(),
      startsAt: new Date(old.exp * 1000).toISOString(),
      name: 'Han Meimei',
      company: 'Acme',
      email: old.body.email,
    })
  })

  it('answers 404 NOT_FOUND for a wrong or missing token, or a token of another license (token check)', async () => {
    const old = await issued()
    const other = await issued()
    for (const token of ['', 'x', old.token.slice(0, -1) + (old.token.endsWith('A') ? 'B' : 'A'), other.token]) {
      const response = await prefill(old.licenseId, token)
      expect(response.status).toBe(404)
      expect((await readJson(response)).error.code).toBe('NOT_FOUND')
    }
  })

  it('answers 410 LICENSE_REVOKED for a revoked license', async () => {
    const old = await issued()
    await revoke(old.licenseId)
    const response = await prefill(old.licenseId, old.token)
    expect(response.status).toBe(410)
    expect((await readJson(response)).error.code).toBe('LICENSE_REVOKED')
  })
})

describe('POST /api/applications with renews', () => {
  it('stores the renewal, tells the approver in the 续期 field, and starts the new license when the old one ends', async () => {
    const old = await issued({ quantity: 5 })
    const response = await submit(renewalOf(old))
    expect(response.status).toBe(201)
    const created = await readJson(response)
    expect(await row('SELECT renews_license_id FROM applications WHERE id = ?1', created.id)).toEqual({ renews_license_id: old.licenseId })

    const { dingtalk_instance_id: instanceId } = (await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id))!
    const form = fake.instances.get(instanceId)!.body.formComponentValues
    const field = form.find((v) => v.name === '续期')
    expect(field?.value).toContain(`许可证 ${old.licenseId}`)
    expect(field?.value).toContain(`原申请 ${old.applicationId}`)
    expect(field?.value).toContain('数量 5')
    expect(field?.value).toMatch(/签发历史：\d{4}年\d+月\d+日 \d\d:\d\d（中国标准时间） 签发 LIC-/)
    expect(field?.value).toContain('批准后新许可证自')
    expect(form.find((v) => v.name === '有效期(天)')?.value).toBe('180')

    await approve(created.id)
    const renewed = await row<{ nbf: number; exp: number }>('SELECT nbf, exp FROM licenses WHERE application_id = ?1', created.id)
    expect(renewed).toEqual({ nbf: old.exp, exp: old.exp + 180 * DAY })
    // The license mail says which license it continues and that it takes over at its end.
    const mail = fake.emails.filter((e) => e.payload.to === old.body.email && e.payload.attachments?.length).at(-1)
    expect(mail?.payload.text).toContain(`This license renews license ${old.licenseId}.`)
  })

  it('starts the renewal now when the old license has already ended', async () => {
    const old = await issued()
    await env.DB.prepare('UPDATE licenses SET nbf = ?2 - 100 * 86400, exp = ?2 - 86400 WHERE id = ?1').bind(old.licenseId, Math.floor(Date.now() / 1000)).run()
    const created = await readJson(await submit(renewalOf(old)))
    const before = Math.floor(Date.now() / 1000)
    await approve(created.id)
    const renewed = await row<{ nbf: number; exp: number }>('SELECT nbf, exp FROM licenses WHERE application_id = ?1', created.id)
    expect(renewed!.nbf).toBeGreaterThanOrEqual(before)
    expect(renewed!.exp - renewed!.nbf).toBe(180 * DAY)
  })

  it('sends no 续期 field for an application that renews nothing', async () => {
    const created = await readJson(await submit(validApplication()))
    const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id)
    expect(fake.instances.get(app!.dingtalk_instance_id)!.body.formComponentValues.map((v) => v.name)).not.toContain('续期')
  })

  it('refuses a wrong token with 422 RENEWAL_INVALID and stores nothing (token check)', async () => {
    const old = await issued()
    const other = await issued()
    const before = await countApplications()
    for (const renews of [{ licenseId: old.licenseId, token: other.token }, { licenseId: 'LIC-NOSUCH', token: old.token }]) {
      const response = await submit(renewalOf(old, { renews }))
      expect(response.status).toBe(422)
      expect((await readJson(response)).error.code).toBe('RENEWAL_INVALID')
    }
    expect(await countApplications()).toBe(before)
  })

  it('refuses another feature code or product with 422 RENEWAL_MISMATCH, and takes the same code in another spelling', async () => {
    const old = await issued()
    const response = await submit(renewalOf(old, { featureCode: `${old.body.featureCode}X` }))
    expect(response.status).toBe(422)
    expect((await readJson(response)).error.code).toBe('RENEWAL_MISMATCH')
    const spelled = await submit(renewalOf(old, { featureCode: (old.body.featureCode as string).toLowerCase() }))
    expect(spelled.status).toBe(201)
  })

  it('refuses a revoked license with 410 LICENSE_REVOKED', async () => {
    const old = await issued()
    await revoke(old.licenseId)
    const response = await submit(renewalOf(old))
    expect(response.status).toBe(410)
    expect((await readJson(response)).error.code).toBe('LICENSE_REVOKED')
  })

  it('refuses a second renewal of the same license with 409 RENEWAL_EXISTS, but answers a retry under the same key', async () => {
    const old = await issued()
    const headers = { 'idempotency-key': `renew-${crypto.randomUUID()}` }
    const first = await readJson(await submit(renewalOf(old), headers))
    const retry = await submit(renewalOf(old), headers)
    expect(retry.status).toBe(200)
    expect((await readJson(retry)).id).toBe(first.id)
    await approve(first.id)
    const second = await submit(renewalOf(old))
    expect(second.status).toBe(409)
    const body = await readJson(second)
    expect(body.error.code).toBe('RENEWAL_EXISTS')
    expect(body.existingId).toBe(first.id)
    expect(await rows('SELECT id FROM applications WHERE renews_license_id = ?1', old.licenseId)).toEqual([{ id: first.id }])
    expect((await prefill(old.licenseId, old.token)).status).toBe(409)
  })

  it('refuses a malformed renews member with 400 VALIDATION_FAILED', async () => {
    const old = await issued()
    const response = await submit(renewalOf(old, { renews: { licenseId: old.licenseId } }))
    expect(response.status).toBe(400)
    expect((await readJson(response)).error.fields).toEqual({ renews: 'INVALID_FORMAT' })
  })

  it('lets a refused renewal be followed by another, and stops the reminders while one is live', async () => {
    const old = await issued()
    const first = await readJson(await submit(renewalOf(old)))
    await runCron((old.exp - 6 * DAY) * 1000)
    expect(await rows('SELECT threshold_days FROM renewal_reminders WHERE license_id = ?1', old.licenseId)).toEqual([])
    const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', first.id)
    await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, 'refuse')))
    expect((await submit(renewalOf(old))).status).toBe(201)
  })
})
