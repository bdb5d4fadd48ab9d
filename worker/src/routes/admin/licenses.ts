// GET /api/admin/licenses (JSON, keyset pages) and /api/admin/licenses.csv (the whole selection):
// issued, unexpired licenses with their terms, soonest expiry first (docs/api.md, "Admin API").
import { Hono } from 'hono'
import { listIssuedLicenses, type IssuedLicense, type LicenseSearch } from '../../db/admin-licenses.ts'
import type { StaffEnv } from '../../env.ts'
import { toCsv } from './csv.ts'
import { encodeCursor, Params } from './params.ts'

export const EXPIRING_WITHIN = ['30', '60', '90'] as const
/** The CSV holds at most this many rows (one D1 read). */
export const CSV_MAX_ROWS = 10_000

function selection(p: Params, now: number): Omit<LicenseSearch, 'limit'> {
  const within = p.oneOf('expiringWithin', EXPIRING_WITHIN)
  const nowSeconds = Math.floor(now / 1000)
  return { nowSeconds, expBefore: within === undefined ? undefined : nowSeconds + Number(within) * 86_400 }
}

const CSV_HEADER = ['license_id', 'application_id', 'product', 'feature_code', 'quantity', 'nbf', 'exp', 'company', 'name', 'email'] as const
const iso = (seconds: number) => new Date(seconds * 1000).toISOString()
const csvRow = (l: IssuedLicense) => [l.licenseId, l.applicationId, l.product, l.featureCode, l.quantity, iso(l.nbf), iso(l.exp), l.company, l.name, l.email]

export const adminLicenses = new Hono<StaffEnv>()
  .get('/licenses', async (c) => {
    const p = new Params(new URL(c.req.url).searchParams, ['expiringWithin', 'cursor', 'limit'])
    const search = selection(p, Date.now())
    const cursor = p.cursor()
    const limit = p.integer('limit', 1, 200, 50)
    p.done()
    const page = await listIssuedLicenses(c.env.DB, { ...search, cursor, limit })
    return c.json({ items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null })
  })
  .get('/licenses.csv', async (c) => {
    const p = new Params(new URL(c.req.url).searchParams, ['expiringWithin'])
    const now = Date.now()
    const search = selection(p, now)
    p.done()
    const { items } = await listIssuedLicenses(c.env.DB, { ...search, limit: CSV_MAX_ROWS })
    const name = `licenses-${new Date(now).toISOString().slice(0, 10)}${search.expBefore ? `-expiring-${c.req.query('expiringWithin')}d` : ''}.csv`
    return c.body(toCsv(CSV_HEADER, items.map(csvRow)), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
    })
  })
