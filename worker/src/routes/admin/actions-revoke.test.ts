// POST /api/admin/licenses/:licenseId/revoke and POST /api/admin/applications/:id/reissue: a
// license revoked once with the operator's reason; a corrected license that supersedes the current
// one, revokes it and is mailed once; both idempotent, both in the trail.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { inspectLicense, verifyRevocationList } from '../../../../license/src/index.ts'
import { operatorEvents, startActionStack } from '../../../test/admin-actions.ts'
import { seedApplication, seedDelivery, seedLicense } from '../../../test/admin-seed.ts'
import { OPERATOR, VIEWER } from '../../../test/fake-access.ts'
import { BASE, call, readJson, row, rows } from '../../../test/helpers.ts'

afterEach(() => vi.restoreAllMocks())

const EXP = () => Math.floor(Date.now() / 1000) + 90 * 86_400

async function delivered(o: { featureCode?: string; quantity?: number; exp?: number } = {}) {
  const id = await seedApplication({ status: 'delivered', featureCode: o.featureCode ?? 'HM-ABCD-1234-EF56', quantity: o.quantity ?? 5 })
  const licenseId = await seedLicense(id, { exp: o.exp ?? EXP() })
  await seedDelivery(id, { status: 'sent' })
  return { id, licenseId }
}

const decode = (base64: string) => new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))

describe('POST /api/admin/licenses/:licenseId/revoke', () => {
  it('revokes the license with who and why, in one event; the application keeps its status', async () => {
    const { post } = await startActionStack()
    const { id, licenseId } = await delivered()
    const response = await post(`/licenses/${licenseId}/revoke`, { reason: 'refund issued' })
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ licenseId, applicationId: id, status: 'revoked', revokedAt: expect.any(Number), duplicate: false })
    expect(await row('SELECT revoked_by, revocation_reason FROM licenses WHERE id = ?1', licenseId)).toEqual({ revoked_by: OPERATOR, revocation_reason: 'refund issued' })
    expect(await operatorEvents(id)).toEqual([
      expect.objectContaining({ type: 'operator.revoke', from_status: null, to_status: null, data: { operator: OPERATOR, reason: 'refund issued', licenseId } }),
    ])
    expect(await row('SELECT status FROM applications WHERE id = ?1', id)).toEqual({ status: 'delivered' })
  })

  it('is idempotent: the same key, or a second revoke without one, changes nothing', async () => {
    const { post } = await startActionStack()
    const { id, licenseId } = await delivered()
    const first = await readJson(await post(`/licenses/${licenseId}/revoke`, { reason: 'refund issued', idempotencyKey: 'r-1' }))
    const again = await post(`/licenses/${licenseId}/revoke`, { reason: 'refund issued', idempotencyKey: 'r-1' })
    expect(again.status).toBe(200)
    expect(await readJson(again)).toEqual({ ...first, duplicate: true })
    expect(await readJson(await post(`/licenses/${licenseId}/revoke`, { reason: 'another reason' }))).toMatchObject({ revokedAt: first.revokedAt, duplicate: true })
    const reused = await post(`/licenses/${licenseId}/revoke`, { reason: 'another reason', idempotencyKey: 'r-1' })
    expect(reused.status).toBe(409)
    expect((await readJson(reused)).error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(await operatorEvents(id, 'operator.revoke')).toHaveLength(1)
    expect(await row('SELECT revocation_reason FROM licenses WHERE id = ?1', licenseId)).toEqual({ revocation_reason: 'refund issued' })
  })

  it('writes one revocation when two revokes race', async () => {
    const { post } = await startActionStack()
    const { id, licenseId } = await delivered()
    const answers = await Promise.all(['first reason', 'second reason', 'third reason'].map((reason) => post(`/licenses/${licenseId}/revoke`, { reason })))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    const bodies = await Promise.all(answers.map((a) => readJson(a)))
    expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1)
    expect(await operatorEvents(id, 'operator.revoke')).toHaveLength(1)
  })

  it('refuses a viewer (403), an unknown license (404) and a malformed id or reason (400)', async () => {
    const { post } = await startActionStack()
    const { id, licenseId } = await delivered()
    const viewer = await post(`/licenses/${licenseId}/revoke`, { reason: 'refund issued' }, VIEWER)
    expect(viewer.status).toBe(403)
    expect((await readJson(viewer)).error.code).toBe('ROLE_OPERATOR_REQUIRED')
    const unknown = await post('/licenses/LIC-NOSUCHLICENSE/revoke', { reason: 'refund issued' })
    expect(unknown.status).toBe(404)
    expect((await readJson(unknown)).error.code).toBe('NOT_FOUND')
    const malformed = await post('/licenses/not-a-license/revoke', { reason: 'refund issued' })
    expect((await readJson(malformed)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { licenseId: 'INVALID_FORMAT' } })
    expect((await readJson(await post(`/licenses/${licenseId}/revoke`, {}))).error.fields).toEqual({ reason: 'REQUIRED' })
    expect(await operatorEvents(id)).toEqual([])
    expect(await row('SELECT revoked_at FROM licenses WHERE id = ?1', licenseId)).toEqual({ revoked_at: null })
  })

  it('refuses to mail a revoked license again with 409 RESEND_LICENSE_REVOKED', async () => {
    const { act, post, upstream } = await startActionStack()
    const { id, licenseId } = await delivered()
    await post(`/licenses/${licenseId}/revoke`, { reason: 'refund issued' })
    const response = await act(id, 'resend', { reason: 'customer lost the mail' })
    expect(response.status).toBe(409)
    expect((await readJson(response)).error.code).toBe('RESEND_LICENSE_REVOKED')
    expect(upstream.emails).toHaveLength(0)
  })

  it("shows the revocation in the console's detail", async () => {
    const { access, post } = await startActionStack()
    const { id, licenseId } = await delivered()
    await post(`/licenses/${licenseId}/revoke`, { reason: 'refund issued' })
    const detail = await readJson(await access.request(`/api/admin/applications/${id}`, { token: await access.sign() }))
    expect(detail.licenses).toEqual([expect.objectContaining({ id: licenseId, revokedBy: OPERATOR, revocationReason: 'refund issued', revokedAt: expect.any(Number) })])
  })
})

describe('GET /.well-known/license-revocations.jwt', () => {
  it('publishes every revoked license, signed with a key of the JWKS, and none that stands', async () => {
    const { post } = await startActionStack()
    const revoked = await delivered()
    const standing = await delivered()
    await post(`/licenses/${revoked.licenseId}/revoke`, { reason: 'refund issued' })
    vi.restoreAllMocks()
    const response = await call(new Request(`${BASE}/.well-known/license-revocations.jwt`))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/jwt')
    expect(response.headers.get('cache-control')).toBe('public, max-age=300')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const jwks = await (await call(new Request(`${BASE}/.well-known/jwks.json`))).text()
    const list = await verifyRevocationList(await response.text(), jwks, { maxAge: 60 })
    expect(list.iss).toBe(BASE)
    expect(list.isRevoked(revoked.licenseId)).toEqual({ sub: revoked.licenseId, rat: expect.any(Number) })
    expect(list.isRevoked(standing.licenseId)).toBeUndefined()
    const all = await rows<{ id: string }>('SELECT id FROM licenses WHERE revoked_at IS NOT NULL')
    expect(list.size).toBe(all.length)
  })
})

describe('POST /api/admin/applications/:id/reissue', () => {
  it('signs a corrected license for the same period, revokes the old one and mails the new one once', async () => {
    const { act, access, upstream } = await startActionStack()
    const { id, licenseId } = await delivered({ featureCode: 'HM-ABCD-1234-EF56', quantity: 5 })
    const old = await row<{ nbf: number; exp: number }>('SELECT nbf, exp FROM licenses WHERE id = ?1', licenseId)
    const response = await act(id, 'reissue', { reason: 'customer mistyped the code', featureCode: 'HM-ABCD-1234-EF57', idempotencyKey: 'fix-fc' })
    expect(response.status).toBe(202)
    const body = await readJson(response)
    expect(body).toEqual({ applicationId: id, licenseId: expect.stringMatching(/^LIC-/), supersedes: licenseId, deliveryId: expect.stringMatching(/^DLV-/), duplicate: false })
    expect(body.licenseId).not.toBe(licenseId)

    // The same key again: nothing new.
    const again = await act(id, 'reissue', { reason: 'customer mistyped the code', featureCode: 'HM-ABCD-1234-EF57', idempotencyKey: 'fix-fc' })
    expect(again.status).toBe(200)
    expect(await readJson(again)).toEqual({ ...body, duplicate: true })

    expect(upstream.emails).toHaveLength(1)
    const mail = upstream.emails[0].payload
    expect(mail.attachments?.[0].filename).toBe(`hypermotion-${body.licenseId}.lic`)
    expect(mail.text).toContain(licenseId) // "replaces license …"
    const claims = inspectLicense(decode(mail.attachments![0].content as string)).claims as Record<string, unknown>
    expect(claims).toMatchObject({ sub: body.licenseId, fc: 'HM-ABCD-1234-EF57', qty: 5, nbf: old!.nbf, exp: old!.exp, app: id })

    expect(await rows('SELECT id, supersedes, feature_code, revoked_by FROM licenses WHERE application_id = ?1 ORDER BY issued_at, id', id)).toEqual([
      { id: licenseId, supersedes: null, feature_code: 'HM-ABCD-1234-EF56', revoked_by: OPERATOR },
      { id: body.licenseId, supersedes: licenseId, feature_code: 'HM-ABCD-1234-EF57', revoked_by: null },
    ])
    const events = await operatorEvents(id)
    expect(events.map((e) => e.type)).toEqual(['operator.reissue', 'operator.revoke'])
    expect(events[0].data).toMatchObject({ operator: OPERATOR, licenseId: body.licenseId, supersedes: licenseId, to: { featureCode: 'HM-ABCD-1234-EF57', quantity: 5 } })
    expect(events[1].data).toMatchObject({ licenseId, supersededBy: body.licenseId })

    const detail = await readJson(await access.request(`/api/admin/applications/${id}`, { token: await access.sign() }))
    expect(detail.licenses.map((l: Record<string, unknown>) => [l.id, l.supersedes, l.supersededBy, l.revokedAt !== null])).toEqual([
      [licenseId, null, body.licenseId, true],
      [body.licenseId, licenseId, null, false],
    ])
  })

  it('lets one of two racing reissues land; the other is refused with 409 REISSUE_LICENSE_CHANGED', async () => {
    const { act } = await startActionStack()
    const { id } = await delivered({ quantity: 5 })
    const answers = await Promise.all([6, 7].map((quantity) => act(id, 'reissue', { reason: 'quantity agreed with sales', quantity })))
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses).toEqual([202, 409])
    const refused = answers.find((a) => a.status === 409)!
    expect((await readJson(refused)).error.code).toBe('REISSUE_LICENSE_CHANGED')
    expect(await rows('SELECT id FROM licenses WHERE application_id = ?1', id)).toHaveLength(2)
    expect(await operatorEvents(id, 'operator.reissue')).toHaveLength(1)
  })

  it('refuses terms that change nothing (422), no license (409) and an expired one (409)', async () => {
    const { act, upstream } = await startActionStack()
    const { id } = await delivered({ featureCode: 'HM-ABCD-1234-EF56', quantity: 5 })
    for (const body of [{}, { quantity: 5 }, { featureCode: 'hmabcd1234ef56' }]) {
      const response = await act(id, 'reissue', { reason: 'customer mistyped the code', ...body })
      expect(response.status, JSON.stringify(body)).toBe(422)
      expect((await readJson(response)).error.code).toBe('REISSUE_NOTHING_CHANGED')
    }
    // Withdrawn after its license mail failed: its license stays as it is.
    const withdrawn = await seedApplication({ status: 'withdrawn' })
    await seedLicense(withdrawn, { exp: EXP() })
    expect((await readJson(await act(withdrawn, 'reissue', { reason: 'customer mistyped the code', quantity: 6 }))).error.code).toBe('REISSUE_NOT_ISSUED')
    const none = await seedApplication({ status: 'pending_approval' })
    expect((await readJson(await act(none, 'reissue', { reason: 'customer mistyped the code', quantity: 6 }))).error.code).toBe('REISSUE_NOT_ISSUED')
    const expired = await delivered({ exp: Math.floor(Date.now() / 1000) - 60 })
    expect((await readJson(await act(expired.id, 'reissue', { reason: 'customer mistyped the code', quantity: 6 }))).error.code).toBe('REISSUE_EXPIRED')
    expect(upstream.emails).toHaveLength(0)
  })

  it('answers bad corrections with 400 VALIDATION_FAILED and refuses a viewer', async () => {
    const { act } = await startActionStack()
    const { id } = await delivered()
    const fieldsOf = async (body: unknown) => (await readJson(await act(id, 'reissue', body))).error.fields
    expect(await fieldsOf({ reason: 'fine reason', quantity: 0 })).toEqual({ quantity: 'OUT_OF_RANGE' })
    expect(await fieldsOf({ reason: 'fine reason', quantity: 1.5 })).toEqual({ quantity: 'INVALID_FORMAT' })
    expect(await fieldsOf({ reason: 'fine reason', featureCode: 'é' })).toEqual({ featureCode: 'INVALID_FORMAT' })
    expect(await fieldsOf({ reason: 'fine reason', featureCode: '   ' })).toEqual({ featureCode: 'REQUIRED' })
    expect(await fieldsOf({ reason: 'no', quantity: 6, email: 'x@example.com' })).toEqual({ reason: 'TOO_SHORT', email: 'NOT_ALLOWED' })
    const viewer = await act(id, 'reissue', { reason: 'fine reason', quantity: 6 }, VIEWER)
    expect((await readJson(viewer)).error.code).toBe('ROLE_OPERATOR_REQUIRED')
    expect(await rows('SELECT id FROM licenses WHERE application_id = ?1', id)).toHaveLength(1)
  })
})
