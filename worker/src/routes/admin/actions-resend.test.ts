// POST /api/admin/applications/:id/resend: the issued license mailed again (once per key), to the
// same or a corrected address, recorded as the operator's events; refused before a license exists.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { operatorEvents, startActionStack } from '../../../test/admin-actions.ts'
import { seedApplication, seedDelivery, seedLicense } from '../../../test/admin-seed.ts'
import { OPERATOR, VIEWER } from '../../../test/fake-access.ts'
import { readJson, row, rows } from '../../../test/helpers.ts'

afterEach(() => vi.restoreAllMocks())

const EXP = () => Math.floor(Date.now() / 1000) + 90 * 86_400

/** A delivered application with its license and its first (sent) license mail. */
async function delivered(status = 'delivered') {
  const email = `li.lei+${crypto.randomUUID().slice(0, 8)}@example.com`
  const id = await seedApplication({ status, email })
  const licenseId = await seedLicense(id, { exp: EXP() })
  await seedDelivery(id, { status: status === 'failed' ? 'failed' : 'sent' })
  return { id, email, licenseId }
}

describe('POST /api/admin/applications/:id/resend', () => {
  it('mails the same license again to the application email and records who and why', async () => {
    const { act, upstream } = await startActionStack()
    const { id, email, licenseId } = await delivered()
    const response = await act(id, 'resend', { reason: 'customer lost the mail' })
    expect(response.status).toBe(202)
    const body = await readJson(response)
    expect(body).toEqual({ applicationId: id, deliveryId: expect.stringMatching(/^DLV-/), to: email, licenseId, duplicate: false })
    expect(upstream.emails).toHaveLength(1)
    expect(upstream.emails[0].payload.to).toBe(email)
    expect(upstream.emails[0].idempotencyKey).toBe(`delivery/${body.deliveryId}`)
    expect(upstream.emails[0].payload.attachments?.[0].filename).toBe(`hypermotion-${licenseId}.lic`)
    expect(await row('SELECT kind, status, to_address FROM deliveries WHERE id = ?1', body.deliveryId)).toEqual({ kind: 'license_resend', status: 'sent', to_address: null })
    const events = await operatorEvents(id)
    expect(events).toEqual([
      expect.objectContaining({ type: 'operator.resend', source: 'operator', data: expect.objectContaining({ operator: OPERATOR, reason: 'customer lost the mail', deliveryId: body.deliveryId, to: email, licenseId }) }),
    ])
    // One license, still: the resend issued none.
    expect(await rows('SELECT id FROM licenses WHERE application_id = ?1', id)).toEqual([{ id: licenseId }])
  })

  it('sends one mail for the same idempotency key sent twice', async () => {
    const { act, upstream } = await startActionStack()
    const { id } = await delivered()
    const first = await act(id, 'resend', { reason: 'customer lost the mail', idempotencyKey: 'k-1' })
    const second = await act(id, 'resend', { reason: 'customer lost the mail', idempotencyKey: 'k-1' })
    expect(first.status).toBe(202)
    expect(second.status).toBe(200)
    const [a, b] = [await readJson(first), await readJson(second)]
    expect(b).toMatchObject({ deliveryId: a.deliveryId, duplicate: true })
    expect(upstream.emails).toHaveLength(1)
    expect(await rows("SELECT id FROM deliveries WHERE application_id = ?1 AND kind = 'license_resend'", id)).toHaveLength(1)
    expect(await operatorEvents(id, 'operator.resend')).toHaveLength(1)
  })

  it('answers the same key with another address or reason with 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const { act, upstream } = await startActionStack()
    const { id } = await delivered()
    expect((await act(id, 'resend', { reason: 'customer lost the mail', idempotencyKey: 'k-2' })).status).toBe(202)
    const reused = await act(id, 'resend', { reason: 'customer lost the mail', idempotencyKey: 'k-2', email: 'other@example.com' })
    expect(reused.status).toBe(409)
    expect((await readJson(reused)).error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(upstream.emails).toHaveLength(1)
  })

  it('reaches a corrected address once with the same license, recording the correction, the application email unchanged', async () => {
    const { act, upstream } = await startActionStack()
    const { id, email, licenseId } = await delivered()
    const corrected = `fixed+${crypto.randomUUID().slice(0, 8)}@example.com`
    const response = await act(id, 'resend', { reason: 'typo in the address', email: corrected, idempotencyKey: 'fix-1' })
    expect(response.status).toBe(202)
    await act(id, 'resend', { reason: 'typo in the address', email: corrected, idempotencyKey: 'fix-1' })
    const to = upstream.emails.filter((m) => m.payload.to === corrected)
    expect(to).toHaveLength(1)
    expect(upstream.emails).toHaveLength(1)
    expect(to[0].payload.attachments?.[0].filename).toBe(`hypermotion-${licenseId}.lic`)
    expect(to[0].payload.text).toContain(licenseId)
    const events = await operatorEvents(id)
    expect(events.map((e) => e.type)).toEqual(['operator.email_corrected', 'operator.resend'])
    expect(events[0].data).toMatchObject({ operator: OPERATOR, reason: 'typo in the address', from: email, to: corrected })
    expect(await row('SELECT email FROM applications WHERE id = ?1', id)).toEqual({ email })
  })

  it('delivers an application whose first license mail failed', async () => {
    const { act, upstream } = await startActionStack()
    const { id } = await delivered('failed')
    expect((await act(id, 'resend', { reason: 'mailbox fixed', email: 'works@example.com' })).status).toBe(202)
    expect(upstream.emails).toHaveLength(1)
    expect(await row('SELECT status FROM applications WHERE id = ?1', id)).toEqual({ status: 'delivered' })
  })

  it('refuses an application without an issued license with 409 RESEND_NOT_ISSUED', async () => {
    const { act, upstream } = await startActionStack()
    for (const status of ['submitted', 'pending_approval', 'rejected', 'failed']) {
      const id = await seedApplication({ status })
      const response = await act(id, 'resend', { reason: 'customer lost the mail' })
      expect(response.status, status).toBe(409)
      expect(await readJson(response), status).toEqual({ error: { code: 'RESEND_NOT_ISSUED', message: expect.any(String) }, status })
    }
    expect(upstream.emails).toHaveLength(0)
  })

  it('answers a missing or bad reason, key or email with 400 VALIDATION_FAILED', async () => {
    const { act } = await startActionStack()
    const { id } = await delivered()
    const fieldsOf = async (body: unknown) => {
      const response = await act(id, 'resend', body)
      expect(response.status).toBe(400)
      return (await readJson(response)).error.fields
    }
    expect(await fieldsOf({})).toEqual({ reason: 'REQUIRED' })
    expect(await fieldsOf({ reason: 'no' })).toEqual({ reason: 'TOO_SHORT' })
    expect(await fieldsOf({ reason: 'x'.repeat(501) })).toEqual({ reason: 'TOO_LONG' })
    expect(await fieldsOf({ reason: 42 })).toEqual({ reason: 'INVALID_FORMAT' })
    expect(await fieldsOf({ reason: 'fine reason', idempotencyKey: 'no spaces' })).toEqual({ idempotencyKey: 'INVALID_FORMAT' })
    expect(await fieldsOf({ reason: 'fine reason', email: 'not-an-address' })).toEqual({ email: 'INVALID_EMAIL' })
    expect(await fieldsOf({ reason: 'fine reason', extra: 1 })).toEqual({ extra: 'NOT_ALLOWED' })
  })

  it('answers an unknown application with 404 NOT_FOUND', async () => {
    const { act } = await startActionStack()
    const response = await act('LD-NOSUCHAPP000', 'resend', { reason: 'customer lost the mail' })
    expect(response.status).toBe(404)
    expect((await readJson(response)).error.code).toBe('NOT_FOUND')
  })

  it("refuses a viewer's resend with 403 ROLE_OPERATOR_REQUIRED and sends nothing", async () => {
    const { act, upstream } = await startActionStack()
    const { id } = await delivered()
    const response = await act(id, 'resend', { reason: 'customer lost the mail' }, VIEWER)
    expect(response.status).toBe(403)
    expect((await readJson(response)).error.code).toBe('ROLE_OPERATOR_REQUIRED')
    expect(upstream.emails).toHaveLength(0)
    expect(await operatorEvents(id)).toEqual([])
  })
})
