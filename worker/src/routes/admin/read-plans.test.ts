// Every query shape of the console's read API is served by an index: EXPLAIN QUERY PLAN must show
// a SEARCH on an index for each table it reads, never a full SCAN (migration 0013).
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { applicationSearchSql, readSearchTerm, type ApplicationSearch } from '../../db/admin-applications.ts'
import { ATTENTION_SQL } from '../../db/admin-attention.ts'
import { licenseSearchSql } from '../../db/admin-licenses.ts'

async function plan(sql: string, binds: unknown[] = []): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...binds).all<{ detail: string }>()
  return results.map((r) => r.detail)
}

/** No full scan of `table` (a covering-index SCAN is a scan too), and at least one SEARCH of it. */
function expectSearched(lines: string[], table: string, label: string) {
  if ((env as { PRINT_PLANS?: string }).PRINT_PLANS) console.log(label, lines)
  const scans = lines.filter((l) => new RegExp(`^SCAN ${table}\\b`).test(l) || new RegExp(`^SCAN \\w+ AS`).test(l))
  expect(scans, `${label}: ${lines.join(' | ')}`).toEqual([])
  expect(lines.some((l) => new RegExp(`^SEARCH ${table}\\b.*USING (COVERING )?INDEX|^SEARCH ${table}\\b.*USING INTEGER PRIMARY KEY`).test(l)), `${label}: ${lines.join(' | ')}`).toBe(true)
}

const cursor = { key: Date.now(), id: 'LD-0000000000ZZ' }
/** Each list shape, and the indexes its plan must name (so dropping one of them fails here). */
const SHAPES: Record<string, [ApplicationSearch, string[]]> = {
  'newest first': [{ limit: 50 }, ['applications_created']],
  'next page': [{ limit: 50, cursor }, ['applications_created']],
  status: [{ status: 'pending_approval', limit: 50, cursor }, ['applications_status_created']],
  product: [{ product: 'hypermotion', limit: 50 }, ['applications_product_created']],
  'status and product': [{ status: 'failed', product: 'hypermotion', limit: 50 }, []],
  'date range': [{ from: 0, to: Date.now(), limit: 50 }, ['applications_created']],
  'q application id': [{ q: readSearchTerm('LD-7K3M9Q2X4P0B'), limit: 50 }, ['sqlite_autoindex_applications_1']],
  'q license id': [{ q: readSearchTerm('LIC-7K3M9Q2X4P0B'), limit: 50 }, ['sqlite_autoindex_licenses_1']],
  'q email': [{ q: readSearchTerm('Li.Lei@Example.com'), limit: 50, cursor }, ['applications_pending_email']],
  'q feature code or name': [
    { q: readSearchTerm('hm-abc 123'), limit: 50, cursor },
    ['applications_feature_code_norm', 'applications_company_lower', 'applications_name_lower'],
  ],
  'q with every filter': [
    { q: readSearchTerm('Example'), status: 'delivered', product: 'hypermotion', from: 0, to: Date.now(), limit: 50, cursor },
    ['applications_feature_code_norm', 'applications_company_lower', 'applications_name_lower'],
  ],
}

describe('the read API searches indexes, never scans', () => {
  for (const [label, [search, indexes]] of Object.entries(SHAPES)) {
    it(`searches an index of applications for the list shape "${label}"`, async () => {
      const { sql, binds } = applicationSearchSql(search)
      const lines = await plan(sql, binds)
      expectSearched(lines, 'applications', label)
      for (const index of indexes) expect(lines.some((l) => l.includes(`INDEX ${index} `)), `${label} uses ${index}: ${lines.join(' | ')}`).toBe(true)
    })
  }

  it('searches licenses by its primary key for q=LIC-…', async () => {
    const { sql, binds } = applicationSearchSql({ q: readSearchTerm('LIC-7K3M9Q2X4P0B'), limit: 50 })
    expectSearched(await plan(sql, binds), 'licenses', 'license id')
  })

  it('searches an index for each attention list and its count', async () => {
    const now = Date.now()
    expectSearched(await plan(ATTENTION_SQL.byStatus, ['failed', now, 100]), 'applications', 'byStatus')
    expectSearched(await plan(ATTENTION_SQL.byStatusCount, ['failed', now]), 'applications', 'byStatusCount')
    expectSearched(await plan(ATTENTION_SQL.deliveries, [100]), 'd', 'deliveries')
    expectSearched(await plan(ATTENTION_SQL.deliveriesCount), 'd', 'deliveriesCount')
    expect((await plan(ATTENTION_SQL.byStatus, ['failed', now, 100])).join(' ')).toContain('INDEX applications_status_created ')
    for (const name of ['repeatFeatureCodes', 'repeatCompanies'] as const) {
      expectSearched(await plan(ATTENTION_SQL[name].list, [now, 100]), 'applications', `${name} list`)
      expectSearched(await plan(ATTENTION_SQL[name].count, [now]), 'applications', `${name} count`)
    }
  })

  it('searches licenses by expiry for the expiring list, the next page and the CSV', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000)
    for (const search of [{ nowSeconds, limit: 50 }, { nowSeconds, expBefore: nowSeconds + 30 * 86_400, limit: 50, cursor: { key: nowSeconds, id: 'LIC-0' } }]) {
      const { sql, binds } = licenseSearchSql(search)
      const lines = await plan(sql, binds)
      expectSearched(lines, 'l', 'licenses')
      expect(lines.join(' ')).toContain('INDEX licenses_exp ')
      expectSearched(lines, 'a', 'applications')
    }
  })

  it('searches alerts by subject for the detail view', async () => {
    const lines = await plan('SELECT * FROM alerts WHERE subject IN (?1, ?2) ORDER BY first_seen_at, code', ['LD-1', 'DLV-1'])
    expectSearched(lines, 'alerts', 'alerts')
    expect(lines.join(' ')).toContain('INDEX alerts_subject ')
  })

  it('fails the check when an index is missing (the check can fail)', async () => {
    expect(() => expectSearched(['SCAN applications'], 'applications', 'probe')).toThrow()
    expect(() => expectSearched(['SCAN applications USING COVERING INDEX applications_company_lower'], 'applications', 'probe')).toThrow()
  })
})
