// Data access for `seen_proofs` (worker/migrations/0005): the D1 replay store for proofs received
// on /internal/events. A jti is recorded once (INSERT OR IGNORE) and swept after it expires.
import type { ReplayStore } from '../../../proof/src/index.ts'

export function d1ReplayStore(db: D1Database): ReplayStore {
  return {
    async remember(jti, exp) {
      const { meta } = await db.prepare('INSERT OR IGNORE INTO seen_proofs (jti, exp) VALUES (?1, ?2)').bind(jti, exp).run()
      return meta.changes === 1
    },
  }
}

/** Deletes proof ids whose `exp` (seconds) has passed; returns how many. */
export async function sweepSeenProofs(db: D1Database, nowSeconds: number): Promise<number> {
  const { meta } = await db.prepare('DELETE FROM seen_proofs WHERE exp < ?1').bind(nowSeconds).run()
  return meta.changes
}
