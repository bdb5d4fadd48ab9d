// Data access for `licenses` (worker/migrations/0002): at most one license per application.

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
}

type LicenseRow = {
  id: string
  application_id: string
  kid: string
  text: string
  nbf: number
  exp: number
  issued_at: number
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
  }
}

export async function getLicenseByApplication(db: D1Database, applicationId: string): Promise<LicenseRecord | null> {
  const row = await db.prepare('SELECT * FROM licenses WHERE application_id = ?1').bind(applicationId).first<LicenseRow>()
  return row ? toLicense(row) : null
}

/** Idempotent INSERT: when the application already has a license, the existing one stays. */
export function insertLicenseStatement(db: D1Database, license: LicenseRecord): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO licenses (id, application_id, kid, text, nbf, exp, issued_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (application_id) DO NOTHING`,
    )
    .bind(license.id, license.applicationId, license.kid, license.text, license.nbf, license.exp, license.issuedAt)
}
