// GET /api/admin/attention (what needs a person now) and GET /api/admin/health (proxies, budgets,
// the outbox backlog, firing alerts), each against rows written for the test.
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { clearConsoleTables, seedAlert, seedApplication, seedDelivery } from '../../../test/admin-seed.ts'
import { FakeAccess } from '../../../test/fake-access.ts'
import { readJson } from '../../../test/helpers.ts'
import { monthOf } from '../../db/api-usage.ts'
import { recordProxyHeartbeat } from '../../db/proxies.ts'
import { dayOf } from '../../db/submission-usage.ts'

beforeEach(clearConsoleTables)
afterEach(() => vi.restoreAllMocks())

const MINUTE = 60_000
const DAY = 86_400_000
type Listed = { count: number; items: { id?: string; key?: string; applicationIds?: string[] }[] }

async function get(path: string, vars: Partial<Cloudflare.Env> = {}) {
  const access = await FakeAccess.start(vars)
  return access.request(path, { token: await access.sign() })
}
const idsOf = (list: Listed) => list.items.map((i) => i.id)

describe('GET /api/admin/attention', () => {
  it('lists failed applications, a submit backlog past 5 minutes and approvals pending past ADMIN_PENDING_DAYS', async () => {
    const now = Date.now()
    const failed = await seedApplication({ status: 'failed', lastError: 'DINGTALK_REJECTED', createdAt: now - MINUTE })
    const stuck = await seedApplication({ status: 'submitted', createdAt: now - 10 * MINUTE })
    await seedApplication({ status: 'submitted', createdAt: now - MINUTE })
    const waiting = await seedApplication({ status: 'pending_approval', createdAt: now - 4 * DAY })
    const recent = await seedApplication({ status: 'pending_approval', createdAt: now - 2 * DAY })
    await seedApplication({ status: 'delivered', createdAt: now - 10 * DAY })

    const response = await get('/api/admin/attention')
    expect(response.status).toBe(200)
    const body = await readJson(response)
    expect(body.thresholds).toEqual({ submittedAfterMs: 300_000, pendingApprovalAfterMs: 3 * DAY, repeatWindowMs: 30 * DAY })
    expect(body.failed).toMatchObject({ count: 1, items: [{ id: failed, status: 'failed', lastError: 'DINGTALK_REJECTED' }] })
    expect(body.submittedBacklog.count).toBe(1)
    expect(idsOf(body.submittedBacklog)).toEqual([stuck])
    expect(idsOf(body.pendingApproval)).toEqual([waiting])

    const oneDay = await readJson(await get('/api/admin/attention', { ADMIN_PENDING_DAYS: '1' }))
    expect(idsOf(oneDay.pendingApproval)).toEqual([waiting, recent])
  })

  it('lists failed deliveries and pending ones on their second attempt or later', async () => {
    const app = await seedApplication({ status: 'issued' })
    const other = await seedApplication({ status: 'rejected' })
    const failed = await seedDelivery(app, { status: 'failed', attempts: 8, lastError: 'RESEND_422' })
    const retrying = await seedDelivery(other, { kind: 'rejection', status: 'pending', attempts: 2, lastError: 'timeout' })
    await seedDelivery(await seedApplication({ status: 'issued' }), { status: 'pending', attempts: 1 })
    await seedDelivery(await seedApplication({ status: 'delivered' }), { status: 'sent', attempts: 3 })
    const body = await readJson(await get('/api/admin/attention'))
    expect(body.deliveries.count).toBe(2)
    expect(idsOf(body.deliveries).sort()).toEqual([failed, retrying].sort())
    expect(body.deliveries.items.find((d: { id: string }) => d.id === failed)).toMatchObject({ applicationId: app, status: 'failed', attempts: 8, lastError: 'RESEND_422', email: expect.stringContaining('@') })
  })

  it('lists repeat requests in the last 30 days: the same normalised feature code, or the same company in any case', async () => {
    const now = Date.now()
    const a = await seedApplication({ featureCode: 'ABCD-EFGH-1234', company: 'One Ltd', status: 'rejected', createdAt: now - 2 * DAY })
    const b = await seedApplication({ featureCode: 'abcdefgh1234', company: 'Two Ltd', createdAt: now - DAY })
    await seedApplication({ featureCode: 'ABCDEFGH1234', company: 'Three Ltd', createdAt: now - 40 * DAY }) // too old
    const c = await seedApplication({ company: 'Acme Robotics', createdAt: now - 3 * DAY })
    const d = await seedApplication({ company: 'ACME ROBOTICS', createdAt: now - 4 * DAY })
    const e = await seedApplication({ company: 'acme robotics', createdAt: now - 5 * DAY })
    const body = await readJson(await get('/api/admin/attention'))
    expect(body.repeatFeatureCodes).toEqual({ count: 1, items: [{ key: 'ABCDEFGH1234', count: 2, applicationIds: [a, b].sort() }] })
    expect(body.repeatCompanies).toEqual({ count: 1, items: [{ key: 'acme robotics', count: 3, applicationIds: [c, d, e].sort() }] })
  })

  it('caps each list at 100 and still counts them all', async () => {
    const now = Date.now()
    for (let i = 0; i < 105; i++) await seedApplication({ status: 'failed', createdAt: now - i })
    const body = await readJson(await get('/api/admin/attention'))
    expect(body.cap).toBe(100)
    expect(body.failed.count).toBe(105)
    expect(body.failed.items).toHaveLength(100)
  })
})

describe('GET /api/admin/health', () => {
  it('shows the proxies, DingTalk usage and submissions against their budgets, the outbox backlog and the firing alerts', async () => {
    const now = Date.now()
    await recordProxyHeartbeat(env.DB, { proxyId: 'proxy-a', egressAddress: '203.0.113.7', events: 'stream', ready: true }, now - 5000)
    await recordProxyHeartbeat(env.DB, { proxyId: 'proxy-b', egressAddress: null, events: 'http', ready: false }, now - 1000)
    await env.DB.prepare('INSERT INTO api_usage (month, calls, pushes) VALUES (?1, 1234, 56)').bind(monthOf(now)).run()
    await env.DB.prepare('INSERT INTO submission_usage (period, creates) VALUES (?1, 7), (?2, 321)').bind(dayOf(now), monthOf(now)).run()
    const app = await seedApplication({ status: 'issued' })
    await seedDelivery(app, { status: 'pending' })
    await seedDelivery(await seedApplication({ status: 'delivered' }), { status: 'sent' })
    await env.DB.prepare(
      `INSERT INTO alert_notices (id, code, subject, kind, channel, status, created_at, updated_at) VALUES ('n1', 'SUBMIT_BACKLOG', '', 'firing', 'email', 'pending', ?1, ?1), ('n2', 'SUBMIT_BACKLOG', '', 'firing', 'dingtalk', 'sent', ?1, ?1)`,
    ).bind(now).run()
    await seedAlert('SUBMIT_BACKLOG', '', 'firing', { waiting: 3 })
    await seedAlert('PROXY_NONE_READY', '', 'resolved')

    const response = await get('/api/admin/health')
    expect(response.status).toBe(200)
    const body = await readJson(response)
    expect(body.proxies).toEqual([
      { id: 'proxy-b', egressAddress: null, events: 'http', ready: false, lastSeenAt: now - 1000, lastReadyAt: null, startedAt: now - 1000 },
      { id: 'proxy-a', egressAddress: '203.0.113.7', events: 'stream', ready: true, lastSeenAt: now - 5000, lastReadyAt: now - 5000, startedAt: now - 5000 },
    ])
    expect(body.dingtalk).toEqual({ month: monthOf(now), calls: 1234, callsBudget: 4500, pollReserve: 500, pushes: 56, pushesBudget: 3000 })
    expect(body.submissions).toEqual({ day: dayOf(now), today: 7, dailyCap: 200, month: monthOf(now), thisMonth: 321, monthlyCap: 2000 })
    expect(body.outbox).toEqual({ pendingDeliveries: 1, pendingAlertNotices: 1 })
    expect(body.alerts).toEqual([expect.objectContaining({ code: 'SUBMIT_BACKLOG', subject: '', details: { waiting: 3 } })])
  })

  it('shows zeros on a quiet month', async () => {
    const body = await readJson(await get('/api/admin/health'))
    expect(body).toMatchObject({ proxies: [], dingtalk: { calls: 0, pushes: 0 }, submissions: { today: 0, thisMonth: 0 }, outbox: { pendingDeliveries: 0, pendingAlertNotices: 0 }, alerts: [] })
  })

  it('rejects query parameters it does not take with 400 VALIDATION_FAILED', async () => {
    for (const path of ['/api/admin/health?x=1', '/api/admin/attention?limit=5']) {
      const response = await get(path)
      expect(response.status, path).toBe(400)
      expect((await readJson(response)).error.code).toBe('VALIDATION_FAILED')
    }
  })
})
