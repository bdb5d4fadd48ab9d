// Rows for the console read API's tests, written straight into D1 (any status, any time), so each
// test states exactly the data it reads back.
import { env } from 'cloudflare:workers'

export type SeedApplication = {
  id?: string
  product?: string
  featureCode?: string
  quantity?: number
  validityDays?: number
  name?: string
  company?: string
  email?: string
  status?: string
  dingtalkInstanceId?: string | null
  lastError?: string | null
  createdAt?: number
  updatedAt?: number
}

let counter = 0
const base32 = () => crypto.randomUUID().replaceAll('-', '').toUpperCase().replace(/[ILOU]/g, 'X').slice(0, 12)
export const seedId = (prefix: string) => `${prefix}${base32()}`

export async function seedApplication(o: SeedApplication = {}): Promise<string> {
  const id = o.id ?? seedId('LD-')
  const createdAt = o.createdAt ?? Date.now() - ++counter
  await env.DB.prepare(
    `INSERT INTO applications (id, access_token_hash, product, feature_code, quantity, validity_days, name, company, email,
       phone, note, locale, status, dingtalk_instance_id, last_error, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, NULL, 'en', ?10, ?11, ?12, ?13, ?14)`,
  )
    .bind(
      id,
      'hash-of-the-access-token',
      o.product ?? 'hypermotion',
      o.featureCode ?? `HM${base32()}`,
      o.quantity ?? 5,
      o.validityDays ?? 90,
      o.name ?? 'Li Lei',
      o.company ?? 'Example Co.',
      o.email ?? `li.lei+${base32().toLowerCase()}@example.com`,
      o.status ?? 'submitted',
      o.dingtalkInstanceId ?? null,
      o.lastError ?? null,
      createdAt,
      o.updatedAt ?? createdAt,
    )
    .run()
  return id
}

/** A license for `applicationId`; nbf/exp in seconds. */
export async function seedLicense(applicationId: string, o: { id?: string; nbf?: number; exp: number }): Promise<string> {
  const id = o.id ?? seedId('LIC-')
  const nbf = o.nbf ?? Math.min(Math.floor(Date.now() / 1000), o.exp) - 86_400
  await env.DB.prepare(
    `INSERT INTO licenses (id, application_id, kid, text, nbf, exp, issued_at, feature_code, quantity)
     SELECT ?1, ?2, 'kid-test', ?3, ?4, ?5, ?6, feature_code, quantity FROM applications WHERE id = ?2`,
  )
    .bind(id, applicationId, '-----BEGIN LICENSE-----SECRET-LICENSE-TEXT-----END LICENSE-----', nbf, o.exp, nbf * 1000)
    .run()
  return id
}

export async function seedDelivery(
  applicationId: string,
  o: { kind?: string; status?: string; attempts?: number; lastError?: string | null; resendEmailId?: string | null; updatedAt?: number } = {},
): Promise<string> {
  const id = seedId('DLV-')
  const now = o.updatedAt ?? Date.now()
  await env.DB.prepare(
    `INSERT INTO deliveries (id, application_id, kind, status, attempts, next_attempt_at, last_error, resend_email_id, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)`,
  )
    .bind(id, applicationId, o.kind ?? 'license', o.status ?? 'pending', o.attempts ?? 0, o.status === 'pending' || !o.status ? now : null, o.lastError ?? null, o.resendEmailId ?? null, now)
    .run()
  return id
}

export async function seedEvent(
  applicationId: string,
  o: { type: string; fromStatus?: string | null; toStatus?: string | null; source?: string; data?: unknown; createdAt: number },
): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO events (id, application_id, type, from_status, to_status, source, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
  )
    .bind(seedId('EVT-'), applicationId, o.type, o.fromStatus ?? null, o.toStatus ?? null, o.source ?? 'api', o.data === undefined ? null : JSON.stringify(o.data), o.createdAt)
    .run()
}

export async function seedAlert(code: string, subject: string, state: 'firing' | 'resolved' = 'firing', details: unknown = {}): Promise<void> {
  const now = Date.now()
  await env.DB.prepare(
    `INSERT INTO alerts (code, subject, state, details, first_seen_at, last_seen_at, resolved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)`,
  )
    .bind(code, subject, state, JSON.stringify(details), now, state === 'resolved' ? now : null)
    .run()
}

/** Empties the tables the console reads that can be emptied (events are append-only: none are seeded there). */
export async function clearConsoleTables(): Promise<void> {
  const tables = ['alert_notices', 'alerts', 'deliveries', 'licenses', 'submit_idempotency', 'applications', 'api_usage', 'submission_usage', 'proxies']
  await env.DB.batch(tables.map((table) => env.DB.prepare(`DELETE FROM ${table}`)))
}
