// The cron step that queues renewal reminders (docs/renewal.md): for each RENEWAL_REMINDER_DAYS
// threshold, the licenses expiring within it get one `renewal_reminder` delivery, ever. The outbox
// sends it after every decision and acknowledgement. Bounded per run; the rest waits a minute.
import type { Config } from '../config.ts'
import { insertReminderStatements, listReminderCandidates } from '../db/renewals.ts'
import { newDeliveryId } from '../ids.ts'
import type { Logger } from '../log.ts'

/** Reminders queued per cron run at most: Resend takes a few a second, decisions go first. */
export const REMINDER_BATCH = 50

export type RemindDeps = { db: D1Database; config: Config; log: Logger; now: number; limit?: number }

export async function queueRenewalReminders(deps: RemindDeps): Promise<{ queued: number }> {
  const { db, now } = deps
  let left = deps.limit ?? REMINDER_BATCH
  let queued = 0
  // Smallest threshold first: a license 5 days from its end gets the 7-day mail, not a late 30-day one.
  const thresholds = [...deps.config.renewalReminderDays].sort((a, b) => a - b)
  for (const [i, thresholdDays] of thresholds.entries()) {
    if (left <= 0) break
    const window = { nowSeconds: Math.floor(now / 1000), thresholdDays, lowerDays: i === 0 ? 0 : thresholds[i - 1], limit: left }
    for (const candidate of await listReminderCandidates(db, window)) {
      const results = await db.batch(insertReminderStatements(db, { ...candidate, deliveryId: newDeliveryId(), now }))
      left--
      if (results[1].meta.changes === 1) {
        queued++
        deps.log.info('renewal reminder queued', { licenseId: candidate.licenseId, applicationId: candidate.applicationId, thresholdDays })
      }
    }
  }
  return { queued }
}
