// Issued licenses by expiry for the console (docs/api.md, "Admin API"): keyset pages on (exp, id),
// the license's terms and the application's customer; revoked (and so superseded) licenses are left
// out. Never the license text.
import type { Cursor } from '../routes/admin/params.ts'

export type { IssuedLicense } from '../shapes.ts'
import type { IssuedLicense } from '../shapes.ts'

export type LicenseSearch = {
  /** Unexpired at this time (seconds): exp >= nowSeconds. */
  nowSeconds: number
  /** exp < this (seconds); none for every unexpired license. */
  expBefore?: number
  cursor?: Cursor
  limit: number
}

export function licenseSearchSql(search: LicenseSearch): { sql: string; binds: unknown[] } {
  const cursor = search.cursor ?? { key: search.nowSeconds, id: '' }
  return {
    sql: `SELECT l.id AS license_id, l.application_id, l.kid, l.nbf, l.exp, l.issued_at,
            a.product, l.feature_code, l.quantity, a.validity_days, a.company, a.name, a.email
          FROM licenses l JOIN applications a ON a.id = l.application_id
          WHERE l.exp >= ?1 AND l.exp < ?2 AND (l.exp, l.id) > (?3, ?4) AND l.revoked_at IS NULL
          ORDER BY l.exp, l.id LIMIT ?5`,
    binds: [search.nowSeconds, search.expBefore ?? Number.MAX_SAFE_INTEGER, cursor.key, cursor.id, search.limit + 1],
  }
}

type Row = {
  license_id: string
  application_id: string
  kid: string
  nbf: number
  exp: number
  issued_at: number
  product: string
  feature_code: string
  quantity: number
  validity_days: number
  company: string
  name: string
  email: string
}

export async function listIssuedLicenses(db: D1Database, search: LicenseSearch): Promise<{ items: IssuedLicense[]; next: Cursor | null }> {
  const { sql, binds } = licenseSearchSql(search)
  const { results } = await db.prepare(sql).bind(...binds).all<Row>()
  const items = results.slice(0, search.limit).map((r) => ({
    licenseId: r.license_id,
    applicationId: r.application_id,
    product: r.product,
    featureCode: r.feature_code,
    quantity: r.quantity,
    validityDays: r.validity_days,
    nbf: r.nbf,
    exp: r.exp,
    issuedAt: r.issued_at,
    kid: r.kid,
    company: r.company,
    name: r.name,
    email: r.email,
  }))
  const last = items.at(-1)
  return { items, next: results.length > search.limit && last ? { key: last.exp, id: last.licenseId } : null }
}
