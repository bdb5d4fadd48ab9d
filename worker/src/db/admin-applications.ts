// The console's application queries (docs/api.md, "Admin API"): the search list, newest first in
// keyset pages on (created_at, id), and one application with everything recorded about it. Every
// WHERE is on an index of migrations 0012/0013; read-plans.test.ts checks the plans.
import type { Cursor } from '../routes/admin/params.ts'
import { toApplication, type Application, type ApplicationStatus } from './applications.ts'
import { toDelivery, type Delivery } from './deliveries.ts'
import { listEvents, type AppEvent } from './events.ts'
import { toLicense, type LicenseRecord } from './licenses.ts'
import type { LicenseSummary } from '../shapes.ts'

/** What `q` was read as: an application or license id, an email, else a feature code or a name prefix. */
export type SearchTerm =
  | { kind: 'application'; id: string }
  | { kind: 'license'; id: string }
  | { kind: 'email'; email: string }
  /** `code` normalised (docs/license-format.md), `prefix` ASCII lower-cased, for company and name. */
  | { kind: 'text'; code: string; prefix: string }

export type ApplicationSearch = {
  q?: SearchTerm
  status?: ApplicationStatus
  product?: string
  /** created_at >= from, created_at < to (ms). */
  from?: number
  to?: number
  /** After this position (exclusive), going back in time. */
  cursor?: Cursor
  limit: number
}

const asciiUpper = (s: string) => s.replace(/[a-z]/g, (c) => c.toUpperCase())
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase())

/** normalise() of docs/license-format.md: ASCII whitespace and '-' dropped, ASCII upper-cased. */
export const normaliseFeatureCode = (code: string): string => asciiUpper(code.replace(/[\t\n\v\f\r -]/g, ''))

export function readSearchTerm(q: string): SearchTerm {
  if (/^LD-/i.test(q)) return { kind: 'application', id: asciiUpper(q) }
  if (/^LIC-/i.test(q)) return { kind: 'license', id: asciiUpper(q) }
  if (q.includes('@')) return { kind: 'email', email: asciiLower(q) }
  return { kind: 'text', code: normaliseFeatureCode(q), prefix: asciiLower(q) }
}

// Above every character: `x >= p AND x < p || TOP` is "x starts with p" on an index (BINARY order).
const TOP = '\u{10FFFF}'

/** The SQL and binds of one search page (exported so the plan test explains exactly this). */
export function applicationSearchSql(search: ApplicationSearch): { sql: string; binds: unknown[] } {
  const binds: unknown[] = []
  const bind = (value: unknown) => `?${binds.push(value)}`
  const where: string[] = []
  const q = search.q
  if (q?.kind === 'application') where.push(`id = ${bind(q.id)}`)
  if (q?.kind === 'license') where.push(`id IN (SELECT application_id FROM licenses WHERE id = ${bind(q.id)})`)
  if (q?.kind === 'email') where.push(`lower(email) = ${bind(q.email)}`)
  if (q?.kind === 'text') {
    // A UNION of three index searches, so the planner looks the rows up by id; an OR beside the
    // (created_at, id) bound would be answered by walking that bound's index instead.
    const [from, to] = [bind(q.prefix), bind(q.prefix + TOP)]
    where.push(
      `id IN (SELECT id FROM applications WHERE upper(replace(feature_code, '-', '')) = ${bind(q.code)}
        UNION SELECT id FROM applications WHERE lower(company) >= ${from} AND lower(company) < ${to}
        UNION SELECT id FROM applications WHERE lower(name) >= ${from} AND lower(name) < ${to})`,
    )
  }
  if (search.status) where.push(`status = ${bind(search.status)}`)
  if (search.product) where.push(`product = ${bind(search.product)}`)
  if (search.from !== undefined) where.push(`created_at >= ${bind(search.from)}`)
  if (search.to !== undefined) where.push(`created_at < ${bind(search.to)}`)
  // Always a bound, so even the unfiltered list is a range SEARCH on (created_at, id), not a SCAN.
  const cursor = search.cursor ?? { key: Number.MAX_SAFE_INTEGER, id: '' }
  where.push(`(created_at, id) < (${bind(cursor.key)}, ${bind(cursor.id)})`)
  const sql = `SELECT * FROM applications WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${bind(search.limit + 1)}`
  return { sql, binds }
}

/** The console's view of an application: every column but the access token's hash. */
export type AdminApplication = Omit<Application, 'accessTokenHash'>

export function toAdminApplication(app: Application): AdminApplication {
  const { accessTokenHash: _hash, ...rest } = app
  return rest
}

export type ApplicationPage = { items: AdminApplication[]; next: Cursor | null }

export async function searchApplications(db: D1Database, search: ApplicationSearch): Promise<ApplicationPage> {
  const { sql, binds } = applicationSearchSql(search)
  const { results } = await db.prepare(sql).bind(...binds).all<Parameters<typeof toApplication>[0]>()
  const page = results.slice(0, search.limit).map(toApplication)
  const last = page.at(-1)
  return { items: page.map(toAdminApplication), next: results.length > search.limit && last ? { key: last.createdAt, id: last.id } : null }
}

/** A license as the console shows it: claims and metadata, never its text. */
export type AdminLicense = LicenseSummary

export type AdminAlert = {
  code: string
  subject: string
  state: string
  fires: number
  occurrences: number
  details: Record<string, unknown>
  firstSeenAt: number
  lastSeenAt: number
  resolvedAt: number | null
}

export type ApplicationDetail = {
  application: AdminApplication
  events: AppEvent[]
  licenses: AdminLicense[]
  deliveries: Delivery[]
  alerts: AdminAlert[]
}

type AlertRow = {
  code: string
  subject: string
  state: string
  fires: number
  occurrences: number
  details: string
  first_seen_at: number
  last_seen_at: number
  resolved_at: number | null
}

/** The licenses with their successors linked, never their text. */
function summarize(list: LicenseRecord[]): LicenseSummary[] {
  const successor = new Map(list.flatMap((l) => (l.supersedes ? [[l.supersedes, l.id] as const] : [])))
  return list.map((l) => ({
    id: l.id,
    kid: l.kid,
    nbf: l.nbf,
    exp: l.exp,
    issuedAt: l.issuedAt,
    featureCode: l.featureCode,
    quantity: l.quantity,
    revokedAt: l.revokedAt,
    revokedBy: l.revokedBy,
    revocationReason: l.revocationReason,
    supersedes: l.supersedes,
    supersededBy: successor.get(l.id) ?? null,
  }))
}

export async function getApplicationDetail(db: D1Database, id: string): Promise<ApplicationDetail | null> {
  const [apps, licenses, deliveries] = await db.batch([
    db.prepare('SELECT * FROM applications WHERE id = ?1').bind(id),
    db.prepare('SELECT * FROM licenses WHERE application_id = ?1 ORDER BY issued_at, id').bind(id),
    db.prepare('SELECT * FROM deliveries WHERE application_id = ?1 ORDER BY created_at, id').bind(id),
  ])
  const row = apps.results[0] as Parameters<typeof toApplication>[0] | undefined
  if (!row) return null
  const app = toApplication(row)
  const deliveryList = (deliveries.results as Parameters<typeof toDelivery>[0][]).map(toDelivery)
  // Alerts name the application, one of its deliveries or its DingTalk instance (alerts/catalog.ts).
  const subjects = [app.id, ...deliveryList.map((d) => d.id), ...(app.dingtalkInstanceId ? [app.dingtalkInstanceId] : [])]
  const { results: alertRows } = await db
    .prepare(`SELECT * FROM alerts WHERE subject IN (${subjects.map((_, i) => `?${i + 1}`).join(', ')}) ORDER BY first_seen_at, code`)
    .bind(...subjects)
    .all<AlertRow>()
  return {
    application: toAdminApplication(app),
    events: await listEvents(db, id),
    licenses: summarize((licenses.results as Parameters<typeof toLicense>[0][]).map(toLicense)),
    deliveries: deliveryList,
    alerts: alertRows.map((a) => ({
      code: a.code,
      subject: a.subject,
      state: a.state,
      fires: a.fires,
      occurrences: a.occurrences,
      details: JSON.parse(a.details) as Record<string, unknown>,
      firstSeenAt: a.first_seen_at,
      lastSeenAt: a.last_seen_at,
      resolvedAt: a.resolved_at,
    })),
  }
}
