// The console's attention lists (docs/api.md, "Admin API"): what a person should look at now.
// Each list is capped and comes with its full count; every WHERE is on an index (read-plans.test.ts).
import { toApplication, type ApplicationStatus } from './applications.ts'

/** One line of a list: enough to recognise the application and open it. */
export type AttentionApplication = {
  id: string
  status: ApplicationStatus
  product: string
  featureCode: string
  name: string
  company: string
  email: string
  lastError: string | null
  createdAt: number
  updatedAt: number
}

export type AttentionDelivery = {
  id: string
  applicationId: string
  kind: string
  status: string
  attempts: number
  nextAttemptAt: number | null
  lastError: string | null
  updatedAt: number
  email: string
  company: string
}

export type RepeatGroup = { key: string; count: number; applicationIds: string[] }
export type Listed<T> = { count: number; items: T[] }

export type AttentionOptions = {
  now: number
  /** `submitted` longer than this (ALERT_BACKLOG_AFTER_MS). */
  backlogAfterMs: number
  /** `pending_approval` longer than this (ADMIN_PENDING_DAYS). */
  pendingAfterMs: number
  /** Repeat requests counted over this window (30 days). */
  repeatWindowMs: number
  cap: number
}

export type Attention = {
  failed: Listed<AttentionApplication>
  submittedBacklog: Listed<AttentionApplication>
  pendingApproval: Listed<AttentionApplication>
  deliveries: Listed<AttentionDelivery>
  repeatFeatureCodes: Listed<RepeatGroup>
  repeatCompanies: Listed<RepeatGroup>
}

/** Same normalised feature code (any product) or same company (ASCII case-insensitive), since ?1. */
const REPEAT_KEYS = {
  featureCode: `upper(replace(feature_code, '-', ''))`,
  company: `lower(company)`,
} as const

function repeatSql(key: keyof typeof REPEAT_KEYS): { list: string; count: string } {
  // INDEXED BY: left alone, SQLite walks the whole key index to skip the GROUP BY sort; the last
  // 30 days by created_at are far fewer rows.
  const grouped = `SELECT ${REPEAT_KEYS[key]} AS k, COUNT(*) AS n, group_concat(id) AS ids FROM applications INDEXED BY applications_created
    WHERE created_at >= ?1 GROUP BY k HAVING n > 1`
  return { list: `${grouped} ORDER BY n DESC, k LIMIT ?2`, count: `SELECT COUNT(*) AS n FROM (${grouped})` }
}

const BY_STATUS = `status = ?1 AND created_at < ?2`
const FAILING = `(d.status = 'failed' OR (d.status = 'pending' AND d.attempts >= 2))`

/** Every statement of readAttention, as the plan test explains them. */
export const ATTENTION_SQL = {
  byStatus: `SELECT * FROM applications WHERE ${BY_STATUS} ORDER BY created_at, id LIMIT ?3`,
  byStatusCount: `SELECT COUNT(*) AS n FROM applications WHERE ${BY_STATUS}`,
  deliveries: `SELECT d.*, a.email AS email, a.company AS company FROM deliveries d JOIN applications a ON a.id = d.application_id
    WHERE ${FAILING} ORDER BY d.updated_at DESC, d.id LIMIT ?1`,
  deliveriesCount: `SELECT COUNT(*) AS n FROM deliveries d WHERE ${FAILING}`,
  repeatFeatureCodes: repeatSql('featureCode'),
  repeatCompanies: repeatSql('company'),
} as const

type Row = Parameters<typeof toApplication>[0]

const summary = (row: Row): AttentionApplication => {
  const app = toApplication(row)
  return {
    id: app.id,
    status: app.status,
    product: app.product,
    featureCode: app.featureCode,
    name: app.name,
    company: app.company,
    email: app.email,
    lastError: app.lastError,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
  }
}

const count = (result: D1Result) => (result.results[0] as { n: number } | undefined)?.n ?? 0

export async function readAttention(db: D1Database, options: AttentionOptions): Promise<Attention> {
  const { now, cap } = options
  const since = now - options.repeatWindowMs
  const byStatus = (status: ApplicationStatus, before: number) => [
    db.prepare(ATTENTION_SQL.byStatus).bind(status, before, cap),
    db.prepare(ATTENTION_SQL.byStatusCount).bind(status, before),
  ]
  const codes = ATTENTION_SQL.repeatFeatureCodes
  const companies = ATTENTION_SQL.repeatCompanies
  const results = await db.batch([
    // Every failed application, however recent.
    ...byStatus('failed', Number.MAX_SAFE_INTEGER),
    ...byStatus('submitted', now - options.backlogAfterMs),
    ...byStatus('pending_approval', now - options.pendingAfterMs),
    db.prepare(ATTENTION_SQL.deliveries).bind(cap),
    db.prepare(ATTENTION_SQL.deliveriesCount),
    db.prepare(codes.list).bind(since, cap),
    db.prepare(codes.count).bind(since),
    db.prepare(companies.list).bind(since, cap),
    db.prepare(companies.count).bind(since),
  ])
  const apps = (i: number): Listed<AttentionApplication> => ({ count: count(results[i + 1]), items: (results[i].results as Row[]).map(summary) })
  const groups = (i: number): Listed<RepeatGroup> => ({
    count: count(results[i + 1]),
    items: (results[i].results as { k: string; n: number; ids: string }[]).map((g) => ({ key: g.k, count: g.n, applicationIds: g.ids.split(',').sort() })),
  })
  type DeliveryRow = {
    id: string
    application_id: string
    kind: string
    status: string
    attempts: number
    next_attempt_at: number | null
    last_error: string | null
    updated_at: number
    email: string
    company: string
  }
  return {
    failed: apps(0),
    submittedBacklog: apps(2),
    pendingApproval: apps(4),
    deliveries: {
      count: count(results[7]),
      items: (results[6].results as DeliveryRow[]).map((d) => ({
        id: d.id,
        applicationId: d.application_id,
        kind: d.kind,
        status: d.status,
        attempts: d.attempts,
        nextAttemptAt: d.next_attempt_at,
        lastError: d.last_error,
        updatedAt: d.updated_at,
        email: d.email,
        company: d.company,
      })),
    },
    repeatFeatureCodes: groups(8),
    repeatCompanies: groups(10),
  }
}
