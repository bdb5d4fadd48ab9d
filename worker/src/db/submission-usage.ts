// Data access for `submission_usage` (worker/migrations/0012): new DingTalk submissions (creates)
// per UTC day and month. A slot is reserved in both periods by one conditional UPDATE inside a
// batch (a D1 transaction), so concurrent requests cannot pass a cap; budgets.ts holds the policy.
import { monthOf } from './api-usage.ts'

export const dayOf = (now: number): string => new Date(now).toISOString().slice(0, 10)

/** The periods one create was counted in; given back with releaseSubmitSlot. */
export type SubmitSlot = Readonly<{ day: string; month: string }>

export type SubmissionUsage = {
  /** Creates counted today (UTC). */
  daily: number
  /** Creates counted this month (UTC). */
  monthly: number
  /** DingTalk API calls this month (api_usage), for the polling reserve. */
  apiCalls: number
}

export type SlotLimits = { daily: number; monthly: number; apiCalls: number }

export async function readSubmissionUsage(db: D1Database, now: number): Promise<SubmissionUsage> {
  const row = await db
    .prepare(
      `SELECT (SELECT creates FROM submission_usage WHERE period = ?1) AS daily,
              (SELECT creates FROM submission_usage WHERE period = ?2) AS monthly,
              (SELECT calls FROM api_usage WHERE month = ?2) AS api_calls`,
    )
    .bind(dayOf(now), monthOf(now))
    .first<{ daily: number | null; monthly: number | null; api_calls: number | null }>()
  return { daily: row?.daily ?? 0, monthly: row?.monthly ?? 0, apiCalls: row?.api_calls ?? 0 }
}

/**
 * Counts one create today and this month if both stay within their caps and the month's API calls
 * are below `limits.apiCalls`; all or nothing. Null when a limit is reached (nothing counted).
 */
export async function reserveSubmitSlot(db: D1Database, now: number, limits: SlotLimits): Promise<SubmitSlot | null> {
  const slot = { day: dayOf(now), month: monthOf(now) }
  const results = await db.batch([
    db.prepare('INSERT INTO submission_usage (period, creates) VALUES (?1, 0), (?2, 0) ON CONFLICT (period) DO NOTHING').bind(slot.day, slot.month),
    db
      .prepare(
        `UPDATE submission_usage SET creates = creates + 1
         WHERE period IN (?1, ?2)
           AND (SELECT creates FROM submission_usage WHERE period = ?1) < ?3
           AND (SELECT creates FROM submission_usage WHERE period = ?2) < ?4
           AND COALESCE((SELECT calls FROM api_usage WHERE month = ?2), 0) < ?5`,
      )
      .bind(slot.day, slot.month, limits.daily, limits.monthly, limits.apiCalls),
  ])
  return results[1].meta.changes === 2 ? slot : null
}

/** Gives a slot back: the create surely made no approval (nothing reached DingTalk, or it refused). */
export async function releaseSubmitSlot(db: D1Database, slot: SubmitSlot): Promise<void> {
  await db
    .prepare('UPDATE submission_usage SET creates = creates - 1 WHERE period IN (?1, ?2) AND creates > 0')
    .bind(slot.day, slot.month)
    .run()
}
