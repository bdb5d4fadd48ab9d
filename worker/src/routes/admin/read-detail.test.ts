// GET /api/admin/applications/:id: every field, the event trail in order with secrets masked, the
// license (never its text), the deliveries and the alerts about it; 404 for an unknown id.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { seedAlert, seedApplication, seedDelivery, seedEvent, seedLicense } from '../../../test/admin-seed.ts'
import { FakeAccess } from '../../../test/fake-access.ts'
import { readJson } from '../../../test/helpers.ts'

afterEach(() => vi.restoreAllMocks())

async function detail(id: string) {
  const access = await FakeAccess.start()
  return access.request(`/api/admin/applications/${id}`, { token: await access.sign() })
}

describe('GET /api/admin/applications/:id', () => {
  it('shows the application, its trail in order, its license, deliveries and alerts', async () => {
    const t0 = Date.now() - 3_600_000
    const instance = `inst-${crypto.randomUUID()}`
    const id = await seedApplication({ status: 'delivered', dingtalkInstanceId: instance, createdAt: t0 })
    // Written out of order: the trail comes back by created_at.
    await seedEvent(id, { type: 'dingtalk.submitted', fromStatus: 'submitted', toStatus: 'pending_approval', source: 'api', createdAt: t0 + 2000, data: { instanceId: instance, attempt: 1 } })
    await seedEvent(id, { type: 'submitted', toStatus: 'submitted', source: 'api', createdAt: t0 })
    await seedEvent(id, { type: 'note', source: 'cron', createdAt: t0 + 3000, data: { accessToken: 'tok-123', nested: { apiKey: 'k-9', kid: 'kid-1' }, list: [{ secret: 's' }] } })
    const exp = Math.floor(Date.now() / 1000) + 90 * 86_400
    const license = await seedLicense(id, { exp })
    const delivery = await seedDelivery(id, { status: 'sent', attempts: 2, resendEmailId: 're_123', lastError: null })
    await seedAlert('MAIL_FAILED', delivery, 'resolved')
    await seedAlert('APPLICATION_FAILED', id, 'firing', { step: 'mailing the license' })
    await seedAlert('DINGTALK_DUPLICATE_INSTANCE', instance)
    await seedAlert('SUBMIT_BACKLOG', '')

    const response = await detail(id)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const text = await response.text()
    const body = JSON.parse(text)
    expect(body.application).toMatchObject({ id, status: 'delivered', dingtalkInstanceId: instance, product: 'hypermotion', createdAt: t0 })
    expect(body.application).not.toHaveProperty('accessTokenHash')
    expect(body.events.map((e: { type: string }) => e.type)).toEqual(['submitted', 'dingtalk.submitted', 'note'])
    expect(body.events[1]).toMatchObject({ fromStatus: 'submitted', toStatus: 'pending_approval', source: 'api', createdAt: t0 + 2000, data: { instanceId: instance, attempt: 1 } })
    expect(body.events[2].data).toEqual({ accessToken: '[redacted]', nested: { apiKey: '[redacted]', kid: 'kid-1' }, list: [{ secret: '[redacted]' }] })
    expect(body.licenses).toEqual([
      {
        id: license,
        kid: 'kid-test',
        nbf: expect.any(Number),
        exp,
        issuedAt: expect.any(Number),
        featureCode: expect.any(String),
        quantity: expect.any(Number),
        revokedAt: null,
        revokedBy: null,
        revocationReason: null,
        supersedes: null,
        supersededBy: null,
      },
    ])
    expect(body.deliveries).toEqual([expect.objectContaining({ id: delivery, kind: 'license', status: 'sent', attempts: 2, resendEmailId: 're_123', lastError: null })])
    expect(body.alerts.map((a: { code: string; state: string }) => `${a.code}:${a.state}`).sort()).toEqual(['APPLICATION_FAILED:firing', 'DINGTALK_DUPLICATE_INSTANCE:firing', 'MAIL_FAILED:resolved'])
    for (const secret of ['SECRET-LICENSE-TEXT', 'hash-of-the-access-token', 'tok-123', 'k-9']) expect(text).not.toContain(secret)
  })

  it('answers an unknown application with 404 NOT_FOUND and a malformed id with 400 VALIDATION_FAILED', async () => {
    const missing = await detail('LD-NOSUCHAPP000')
    expect(missing.status).toBe(404)
    expect((await readJson(missing)).error.code).toBe('NOT_FOUND')
    const malformed = await detail('drop%20table')
    expect(malformed.status).toBe(400)
    expect(await readJson(malformed)).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String), fields: { id: 'INVALID_FORMAT' } } })
  })
})
