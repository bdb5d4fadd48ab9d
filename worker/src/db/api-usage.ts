// Data access for `api_usage` (worker/migrations/0006): DingTalk API calls per UTC month, so the
// reconciler stays inside the plan's monthly quota (dingtalk.md §8); and pushes received (0011).

export const monthOf = (now: number): string => new Date(now).toISOString().slice(0, 7)

export async function countApiCall(db: D1Database, now: number): Promise<void> {
  await db
    .prepare('INSERT INTO api_usage (month, calls) VALUES (?1, 1) ON CONFLICT (month) DO UPDATE SET calls = calls + 1')
    .bind(monthOf(now))
    .run()
}

export async function apiCallsThisMonth(db: D1Database, now: number): Promise<number> {
  const row = await db.prepare('SELECT calls FROM api_usage WHERE month = ?1').bind(monthOf(now)).first<{ calls: number }>()
  return row?.calls ?? 0
}

/** A DingTalk push (HTTP or Stream) reached the worker: it counts against the monthly push quota. */
export async function countPush(db: D1Database, now: number): Promise<void> {
  await db
    .prepare('INSERT INTO api_usage (month, calls, pushes) VALUES (?1, 0, 1) ON CONFLICT (month) DO UPDATE SET pushes = pushes + 1')
    .bind(monthOf(now))
    .run()
}

export async function usageThisMonth(db: D1Database, now: number): Promise<{ month: string; calls: number; pushes: number }> {
  const month = monthOf(now)
  const row = await db.prepare('SELECT calls, pushes FROM api_usage WHERE month = ?1').bind(month).first<{ calls: number; pushes: number }>()
  return { month, calls: row?.calls ?? 0, pushes: row?.pushes ?? 0 }
}
