// Data access for `submit_idempotency` (worker/migrations/0007): the Idempotency-Key of each
// submission, so a retried POST answers the application the first one created. Keys live 24 h.

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

export type SubmitIdempotency = {
  key: string
  requestHash: string
  applicationId: string
  createdAt: number
}

type SubmitIdempotencyRow = {
  idempotency_key: string
  request_hash: string
  application_id: string
  created_at: number
}

export function toSubmitIdempotency(row: SubmitIdempotencyRow): SubmitIdempotency {
  return {
    key: row.idempotency_key,
    requestHash: row.request_hash,
    applicationId: row.application_id,
    createdAt: row.created_at,
  }
}

/** The key's record if it is still live (younger than 24 h at `now`). */
export async function getLiveIdempotencyKey(db: D1Database, key: string, now: number): Promise<SubmitIdempotency | null> {
  const row = await db
    .prepare('SELECT * FROM submit_idempotency WHERE idempotency_key = ?1 AND created_at > ?2')
    .bind(key, now - IDEMPOTENCY_TTL_MS)
    .first<SubmitIdempotencyRow>()
  return row ? toSubmitIdempotency(row) : null
}

/**
 * The statements that claim `key` in the batch that stores the application: an expired record of
 * the key is dropped first, then a plain INSERT — a live record (a concurrent twin that won) makes
 * it fail on the PRIMARY KEY, which rolls the whole batch back, application included. Nothing is
 * claimed when the batch stored no application (a pending limit refused it).
 */
export function claimIdempotencyKeyStatements(db: D1Database, record: SubmitIdempotency): D1PreparedStatement[] {
  return [
    db
      .prepare('DELETE FROM submit_idempotency WHERE idempotency_key = ?1 AND created_at <= ?2')
      .bind(record.key, record.createdAt - IDEMPOTENCY_TTL_MS),
    // Only with its application: an INSERT that a pending limit skipped claims no key.
    db
      .prepare(
        `INSERT INTO submit_idempotency (idempotency_key, request_hash, application_id, created_at)
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM applications WHERE id = ?3)`,
      )
      .bind(record.key, record.requestHash, record.applicationId, record.createdAt),
  ]
}

/** Deletes records older than 24 h at `now`; returns how many. */
export async function sweepIdempotencyKeys(db: D1Database, now: number): Promise<number> {
  const { meta } = await db.prepare('DELETE FROM submit_idempotency WHERE created_at <= ?1').bind(now - IDEMPOTENCY_TTL_MS).run()
  return meta.changes
}
