// The applicant's "send it again" (issue 9): the current license mailed once more, as a
// `license_resend` delivery to the address on file, written only with its
// `applicant.resend_requested` event and within the per-application limits, counted from `events`.
import type { Application } from './db/applications.ts'
import { insertResendStatement } from './db/deliveries.ts'
import { insertEventWithinLimitsStatement, listEventTimes } from './db/events.ts'
import type { LicenseRecord } from './db/licenses.ts'
import { newDeliveryId, newEventId } from './ids.ts'

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

export const RESEND_REQUESTED = 'applicant.resend_requested'
/** At most one request in 10 minutes and five in a day, per application. */
export const APPLICANT_RESEND_LIMITS = [
  { windowMs: 10 * MINUTE, max: 1 },
  { windowMs: DAY, max: 5 },
] as const

export type ResendLimit = { windowMs: number; max: number }
export type ApplicantResendResult = { kind: 'queued'; deliveryId: string } | { kind: 'limited'; retryAfterMs: number }

/**
 * How long until one more request fits every limit, given the earlier requests' times (oldest
 * first); 0 when it fits now. A window frees when the oldest of its last `max` requests leaves it.
 */
export function retryAfterMs(times: readonly number[], now: number, limits: readonly ResendLimit[]): number {
  let wait = 0
  for (const { windowMs, max } of limits) {
    const inWindow = times.filter((at) => at > now - windowMs)
    if (inWindow.length < max) continue
    wait = Math.max(wait, inWindow[inWindow.length - max] + windowMs - now + 1)
  }
  return wait
}

export async function requestApplicantResend(
  deps: { db: D1Database; now: number; requestId?: string },
  app: Application,
  license: LicenseRecord,
  limits: readonly ResendLimit[] = APPLICANT_RESEND_LIMITS,
): Promise<ApplicantResendResult> {
  const { db, now } = deps
  const longest = Math.max(...limits.map((l) => l.windowMs))
  const limited = async (): Promise<ApplicantResendResult | null> => {
    const wait = retryAfterMs(await listEventTimes(db, app.id, RESEND_REQUESTED, now - longest), now, limits)
    return wait > 0 ? { kind: 'limited', retryAfterMs: wait } : null
  }
  const early = await limited()
  if (early) return early

  const deliveryId = newDeliveryId()
  const eventId = newEventId()
  const [, delivery] = await db.batch([
    insertEventWithinLimitsStatement(
      db,
      {
        id: eventId,
        applicationId: app.id,
        type: RESEND_REQUESTED,
        fromStatus: null,
        toStatus: null,
        source: 'api',
        dedupeKey: null,
        dingtalkEventId: null,
        data: { deliveryId, licenseId: license.id, ...(deps.requestId ? { requestId: deps.requestId } : {}) },
        createdAt: now,
      },
      limits,
    ),
    // To the address on file (to_address NULL), only with its event.
    insertResendStatement(db, { id: deliveryId, applicationId: app.id, toAddress: null, now }, eventId),
  ])
  if (delivery.meta.changes === 1) return { kind: 'queued', deliveryId }
  // A concurrent request took the last slot first.
  return (await limited()) ?? { kind: 'limited', retryAfterMs: limits[0].windowMs }
}
