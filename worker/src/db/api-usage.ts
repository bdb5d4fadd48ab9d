// Data access for `api_usage` (worker/migrations/0006): DingTalk API calls per UTC month, so the
// reconciler stays inside the plan's monthly quota (dingtalk.md §8).

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
