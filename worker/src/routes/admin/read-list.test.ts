// The console's read API: the application search and its pages, the expiring licenses and their
// CSV, parameter validation, and the Access guard in front of every route.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { clearConsoleTables, seedApplication, seedLicense } from '../../../test/admin-seed.ts'
import { FakeAccess, VIEWER } from '../../../test/fake-access.ts'
import { readJson } from '../../../test/helpers.ts'

beforeEach(clearConsoleTables)
afterEach(() => vi.restoreAllMocks())

const DAY = 86_400_000
type Page = { items: { id: string; createdAt: number }[]; nextCursor: string | null }

async function get(path: string, access?: FakeAccess) {
  const a = access ?? (await FakeAccess.start())
  return a.request(path, { token: await a.sign() })
}
const ids = async (path: string) => ((await readJson<Page>(await get(path))).items ?? []).map((i) => i.id)

describe('the Access guard on the read API', () => {
  it('answers every read route without an Access token with 401 ACCESS_REQUIRED', async () => {
    const access = await FakeAccess.start()
    const id = await seedApplication()
    for (const path of ['/api/admin/applications', `/api/admin/applications/${id}`, '/api/admin/attention', '/api/admin/health', '/api/admin/licenses', '/api/admin/licenses.csv']) {
      const response = await access.request(path)
      expect(response.status, path).toBe(401)
      expect((await readJson(response)).error.code, path).toBe('ACCESS_REQUIRED')
      const ok = await access.request(path, { token: await access.sign({ email: VIEWER }) })
      expect(ok.status, `${path} as a viewer`).toBe(200)
      expect(ok.headers.get('cache-control'), path).toBe('no-store')
    }
  })
})

describe('GET /api/admin/applications', () => {
  it('finds an application by its number, its license id, its email in any case, its feature code normalised, and a company or name prefix', async () => {
    const target = await seedApplication({ featureCode: 'ABCD-1234-EF', company: 'Hypermotion Robotics', name: 'Wang Fang', email: 'Wang.Fang@Robots.example', status: 'delivered' })
    const other = await seedApplication({ company: 'Other Works', name: 'Zhao Lei' })
    const license = await seedLicense(target, { exp: Math.floor(Date.now() / 1000) + 10 * 86_400 })
    const q = (text: string) => ids(`/api/admin/applications?q=${encodeURIComponent(text)}`)
    expect(await q(target)).toEqual([target])
    expect(await q(target.toLowerCase())).toEqual([target])
    expect(await q(license)).toEqual([target])
    expect(await q('wang.fang@robots.EXAMPLE')).toEqual([target])
    expect(await q('abcd1234ef')).toEqual([target])
    expect(await q(' ab-cd 12-34 EF ')).toEqual([target])
    expect(await q('hypermo')).toEqual([target])
    expect(await q('WANG F')).toEqual([target])
    expect(await q('zhao')).toEqual([other])
    expect(await q('Robotics')).toEqual([]) // a prefix, not a substring
    expect(await q('nobody@example.com')).toEqual([])
    expect(await q('LD-NOSUCHTHING1')).toEqual([])
  })

  it('filters by status, product and created_at (from inclusive, to a whole day)', async () => {
    const t0 = Date.UTC(2026, 10, 10, 12)
    const a = await seedApplication({ status: 'failed', createdAt: t0 })
    const b = await seedApplication({ status: 'pending_approval', createdAt: t0 + DAY })
    const c = await seedApplication({ status: 'failed', createdAt: t0 + 2 * DAY })
    expect(await ids('/api/admin/applications?status=failed')).toEqual([c, a])
    expect(await ids('/api/admin/applications?product=hypermotion&status=pending_approval')).toEqual([b])
    expect(await ids('/api/admin/applications?from=2026-11-11&to=2026-11-11')).toEqual([b])
    expect(await ids('/api/admin/applications?from=2026-11-11T12:00:00Z')).toEqual([c, b])
    expect(await ids('/api/admin/applications?to=2026-11-10T12:00:00.001Z&status=failed')).toEqual([a])
  })

  it('pages newest first with an opaque cursor, without duplicates or gaps, ties broken by id', async () => {
    const t0 = Date.now() - DAY
    const seeded: string[] = []
    // Three share a created_at: the keyset must still move past each exactly once.
    for (const offset of [0, 1, 1, 1, 2, 3, 4]) seeded.push(await seedApplication({ createdAt: t0 + offset }))
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Page = await readJson(await get(`/api/admin/applications?limit=3${cursor ? `&cursor=${cursor}` : ''}`))
      seen.push(...page.items.map((i) => i.id))
      cursor = page.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(new Set(seen).size).toBe(seeded.length)
    expect(seen.sort()).toEqual([...seeded].sort())
    // Newest first; among equal created_at, higher id first.
    const page: Page = await readJson(await get('/api/admin/applications?limit=200'))
    const order = page.items.map((i) => [i.createdAt, i.id] as const)
    for (let i = 1; i < order.length; i++) expect(order[i - 1][0] > order[i][0] || (order[i - 1][0] === order[i][0] && order[i - 1][1] > order[i][1])).toBe(true)
    expect(order).toHaveLength(7)
  })

  it('defaults to 50 and caps limit at 200', async () => {
    for (let i = 0; i < 55; i++) await seedApplication()
    const page: Page = await readJson(await get('/api/admin/applications'))
    expect(page.items).toHaveLength(50)
    expect(page.nextCursor).toEqual(expect.any(String))
    expect((await get('/api/admin/applications?limit=200')).status).toBe(200)
  })

  it('shows every column but the access token hash', async () => {
    const id = await seedApplication()
    const [item] = (await readJson(await get(`/api/admin/applications?q=${id}`))).items
    expect(item).toMatchObject({ id, product: 'hypermotion', status: 'submitted', quantity: 5, validityDays: 90, locale: 'en' })
    expect(JSON.stringify(item)).not.toContain('hash-of-the-access-token')
  })

  it('rejects unknown statuses and products, bad dates, bad cursors, bad limits and unknown parameters with 400 VALIDATION_FAILED', async () => {
    const access = await FakeAccess.start()
    const cases: [string, Record<string, string>][] = [
      ['status=archived', { status: 'NOT_ALLOWED' }],
      ['product=nope', { product: 'NOT_ALLOWED' }],
      ['from=2026-02-31', { from: 'INVALID_FORMAT' }],
      ['from=yesterday&to=2026-13-01', { from: 'INVALID_FORMAT', to: 'INVALID_FORMAT' }],
      ['to=2026-11-10T10:00:00', { to: 'INVALID_FORMAT' }],
      ['from=2026-11-12&to=2026-11-10', { to: 'OUT_OF_RANGE' }],
      ['cursor=not-a-cursor', { cursor: 'INVALID_FORMAT' }],
      [`cursor=${btoa('[1,"x"]')}`, { cursor: 'INVALID_FORMAT' }],
      [`cursor=${btoa('{"a":1}')}`, { cursor: 'INVALID_FORMAT' }],
      ['limit=0', { limit: 'OUT_OF_RANGE' }],
      ['limit=201', { limit: 'OUT_OF_RANGE' }],
      ['limit=ten', { limit: 'INVALID_FORMAT' }],
      ['offset=50', { offset: 'NOT_ALLOWED' }],
      ['status=failed&status=submitted', { status: 'INVALID_FORMAT' }],
      [`q=${'x'.repeat(257)}`, { q: 'TOO_LONG' }],
      ['q=a%00b', { q: 'INVALID_FORMAT' }],
    ]
    for (const [query, fields] of cases) {
      const response = await get(`/api/admin/applications?${query}`, access)
      expect(response.status, query).toBe(400)
      expect(await readJson(response), query).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String), fields } })
    }
  })
})

describe('GET /api/admin/licenses and licenses.csv', () => {
  const now = () => Math.floor(Date.now() / 1000)

  async function seedExpiring() {
    const at = (days: number) => now() + days * 86_400
    const soon = await seedApplication({ status: 'delivered', company: '=HYPERLINK("http://evil.example")', name: 'Smith, "Jo"', featureCode: '-FC1234567' })
    const mid = await seedApplication({ status: 'delivered', company: '@SUM(A1)', name: 'Line\nBreak' })
    const late = await seedApplication({ status: 'delivered', company: '+cmd', name: '\tTabbed' })
    const far = await seedApplication({ status: 'delivered' })
    const gone = await seedApplication({ status: 'delivered' })
    return {
      soon: await seedLicense(soon, { exp: at(10) }),
      mid: await seedLicense(mid, { exp: at(45) }),
      late: await seedLicense(late, { exp: at(80) }),
      far: await seedLicense(far, { exp: at(400) }),
      gone: await seedLicense(gone, { exp: at(-1) }),
      soonApp: soon,
    }
  }
  const licenseIds = async (path: string) => ((await readJson(await get(path))).items as { licenseId: string }[]).map((l) => l.licenseId)

  it('lists unexpired licenses soonest first, within 30, 60 or 90 days, with their terms and never their text', async () => {
    const l = await seedExpiring()
    expect(await licenseIds('/api/admin/licenses?expiringWithin=30')).toEqual([l.soon])
    expect(await licenseIds('/api/admin/licenses?expiringWithin=60')).toEqual([l.soon, l.mid])
    expect(await licenseIds('/api/admin/licenses?expiringWithin=90')).toEqual([l.soon, l.mid, l.late])
    expect(await licenseIds('/api/admin/licenses')).toEqual([l.soon, l.mid, l.late, l.far])
    const body = await (await get('/api/admin/licenses?expiringWithin=30')).text()
    expect(JSON.parse(body).items[0]).toMatchObject({ licenseId: l.soon, applicationId: l.soonApp, product: 'hypermotion', featureCode: '-FC1234567', quantity: 5, nbf: expect.any(Number), exp: expect.any(Number), email: expect.stringContaining('@') })
    expect(body).not.toContain('SECRET-LICENSE-TEXT')
  })

  it('pages the licenses by expiry', async () => {
    const l = await seedExpiring()
    const first = await readJson(await get('/api/admin/licenses?limit=2'))
    const second = await readJson(await get(`/api/admin/licenses?limit=2&cursor=${first.nextCursor}`))
    expect([...first.items, ...second.items].map((i: { licenseId: string }) => i.licenseId)).toEqual([l.soon, l.mid, l.late, l.far])
    expect(second.nextCursor).toBeNull()
  })

  it('rejects expiringWithin other than 30, 60 or 90 with 400 VALIDATION_FAILED', async () => {
    for (const path of ['/api/admin/licenses?expiringWithin=45', '/api/admin/licenses.csv?expiringWithin=x', '/api/admin/licenses.csv?cursor=abc']) {
      const response = await get(path)
      expect(response.status, path).toBe(400)
      expect((await readJson(response)).error.code).toBe('VALIDATION_FAILED')
    }
  })

  it('exports a CSV attachment with a header, RFC 4180 quoting and formula cells defused', async () => {
    const l = await seedExpiring()
    const response = await get('/api/admin/licenses.csv?expiringWithin=90')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="licenses-\d{4}-\d{2}-\d{2}-expiring-90d\.csv"$/)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const text = await response.text()
    const lines = text.split('\r\n')
    expect(lines[0]).toBe('license_id,application_id,product,feature_code,quantity,nbf,exp,company,name,email')
    expect(text.endsWith('\r\n')).toBe(true)
    expect(lines[1]).toMatch(new RegExp(`^${l.soon},${l.soonApp},hypermotion,'-FC1234567,5,\\d{4}-[^,]+Z,\\d{4}-[^,]+Z,"'=HYPERLINK\\(""http://evil.example""\\)","Smith, ""Jo""",`))
    expect(text).toContain(`,'@SUM(A1),"Line\nBreak",`)
    expect(text).toContain(`,'+cmd,'\tTabbed,`)
    expect(text).not.toContain(l.far)
    expect(text).not.toContain('SECRET-LICENSE-TEXT')
  })
})
