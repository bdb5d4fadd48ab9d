// Data access for `worker_state` (worker/migrations/0010): small key → value facts shared by runs.

export const PUSH_MISSED_SUSPECTED = 'push_missed_suspected'
export const FAILED_PUSHES_CHECKED_AT = 'failed_pushes_checked_at'

export async function getState(db: D1Database, key: string): Promise<string | null> {
  const row = await db.prepare('SELECT value FROM worker_state WHERE key = ?1').bind(key).first<{ value: string }>()
  return row?.value ?? null
}

export async function setState(db: D1Database, key: string, value: string, now: number): Promise<void> {
  await db
    .prepare('INSERT INTO worker_state (key, value, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3')
    .bind(key, value, now)
    .run()
}

export async function deleteState(db: D1Database, key: string): Promise<void> {
  await db.prepare('DELETE FROM worker_state WHERE key = ?1').bind(key).run()
}

/** Pushes may have been lost (an event refused, a relay no proxy took): the reconciler reads the failed-push list. */
export const suspectMissedPush = (db: D1Database, now: number): Promise<void> => setState(db, PUSH_MISSED_SUSPECTED, String(now), now)
