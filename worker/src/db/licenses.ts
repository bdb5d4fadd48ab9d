// Data access for `licenses` (worker/migrations/0002, 0015): the license issued on approval, once
// per application, and the reissues that supersede it, each revocable. The newest is current.

export type LicenseRecord = {
  id: string
  applicationId: string
  kid: string
  /** The armored license text, exactly as mailed. */
  text: string
  /** Claims `nbf`/`exp`, seconds since the epoch. */
  nbf: number
  exp: number
  issuedAt: number
  /** Claims `fc`/`qty`: the application's, unless a reissue corrected them. */
  featureCode: string
  quantity: number
  /** The license this one replaces (a reissue), or null. */
  supersedes: string | null
  revokedAt: number | null
  revokedBy: string | null
  revocationReason: string | null
}

type LicenseRow = {
  id: string
  application_id: string
  kid: string
  text: string
  nbf: number
  exp: number
  issued_at: number
  feature_code: string
  quantity: number
  supersedes: string | null
  revoked_at: number | null
  revoked_by: string | null
  revocation_reason: string | null
}

export function toLicense(row: LicenseRow): LicenseRecord {
  return {
    id: row.id,
    applicationId: row.application_id,
    kid: row.kid,
    text: row.text,
    nbf: row.nbf,
    exp: row.exp,
    issuedAt: row.issued_at,
    featureCode: row.feature_code,
    quantity: row.quantity,
    supersedes: row.supersedes,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
    revocationReason: row.revocation_reason,
  }
}

/** The application's current license: the newest (a reissue supersedes the one before), or null. */
export async function getLicenseByApplication(db: D1Database, applicationId: string): Promise<LicenseRecord | null> {
  const row = await db
    .prepare('SELECT * FROM licenses WHERE application_id = ?1 ORDER BY issued_at DESC, id DESC LIMIT 1')
    .bind(applicationId)
    .first<LicenseRow>()
  return row ? toLicense(row) : null
}

export async function getLicense(db: D1Database, id: string): Promise<LicenseRecord | null> {
  const row = await db.prepare('SELECT * FROM licenses WHERE id = ?1').bind(id).first<LicenseRow>()
  return row ? toLicense(row) : null
}

/** Every license of the application, oldest first. */
export async function listLicenses(db: D1Database, applicationId: string): Promise<LicenseRecord[]> {
  const { results } = await db
    .prepare('SELECT * FROM licenses WHERE application_id = ?1 ORDER BY issued_at, id')
    .bind(applicationId)
    .all<LicenseRow>()
  return results.map(toLicense)
}

/** Idempotent INSERT of the approval's license: when the application already has one, it stays. */
export function insertLicenseStatement(db: D1Database, license: LicenseRecord): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO licenses (id, application_id, kid, text, nbf, exp, issued_at, feature_code, quantity)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
       ON CONFLICT (application_id) WHERE supersedes IS NULL DO NOTHING`,
    )
    .bind(license.id, license.applicationId, license.kid, license.text, license.nbf, license.exp, license.issuedAt, license.featureCode, license.quantity)
}

/** INSERT of a reissue, written only with its event `eventId` (earlier in the same batch). */
export function insertReissueStatement(db: D1Database, license: LicenseRecord, eventId: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO licenses (id, application_id, kid, text, nbf, exp, issued_at, feature_code, quantity, supersedes)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS (SELECT 1 FROM events WHERE id = ?11)`,
    )
    .bind(
      license.id,
      license.applicationId,
      license.kid,
      license.text,
      license.nbf,
      license.exp,
      license.issuedAt,
      license.featureCode,
      license.quantity,
      license.supersedes,
      eventId,
    )
}

/** Revokes a license not yet revoked, only with its event `eventId` (earlier in the same batch). */
export function revokeLicenseStatement(
  db: D1Database,
  revocation: { licenseId: string; at: number; by: string; reason: string },
  eventId: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE licenses SET revoked_at = ?2, revoked_by = ?3, revocation_reason = ?4
       WHERE id = ?1 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM events WHERE id = ?5)`,
    )
    .bind(revocation.licenseId, revocation.at, revocation.by, revocation.reason, eventId)
}

/** The revoked licenses, by id: what the published revocation list holds. */
export async function listRevokedLicenses(db: D1Database): Promise<{ id: string; revokedAt: number }[]> {
  const { results } = await db
    .prepare('SELECT id, revoked_at FROM licenses WHERE revoked_at IS NOT NULL ORDER BY id')
    .all<{ id: string; revoked_at: number }>()
  return results.map((r) => ({ id: r.id, revokedAt: r.revoked_at }))
}
