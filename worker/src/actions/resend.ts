// The console's Resend (docs/console.md, "Actions"): the issued license mailed again, as a new
// `license_resend` delivery with its own Idempotency-Key, to the application's email or a corrected
// address. The license is the same file; the application's email is not changed (the license
// carries it, signed), the correction is an event of its own and the delivery's `to_address`.
import type { Application } from '../db/applications.ts'
import { findPendingResend, insertResendStatement } from '../db/deliveries.ts'
import { getEventByDedupeKey, insertEventStatement } from '../db/events.ts'
import { getLicenseByApplication } from '../db/licenses.ts'
import { ActionRefusedError, IdempotencyKeyReusedError } from '../errors.ts'
import { newDeliveryId, newEventId } from '../ids.ts'
import { actionDedupeKey, type ActionDeps, type ActionInput } from './action.ts'

export type ResendResult = { deliveryId: string; to: string; licenseId: string; duplicate: boolean }

/** Where a resend may go: an application with its license issued (delivered, or failed mailing it). */
const RESENDABLE = new Set(['issued', 'delivered', 'failed'])

export async function resendLicense(deps: ActionDeps, app: Application, input: ActionInput): Promise<ResendResult> {
  const { db, now, operator } = deps
  const license = await getLicenseByApplication(db, app.id)
  if (!license || !RESENDABLE.has(app.status)) throw new ActionRefusedError('RESEND_NOT_ISSUED', app.status)
  // A revoked license no longer works: sending it again would only confuse the customer.
  if (license.revokedAt !== null) throw new ActionRefusedError('RESEND_LICENSE_REVOKED', app.status)
  const corrected = input.email !== null && input.email.toLowerCase() !== app.email.toLowerCase() ? input.email : null
  const to = corrected ?? app.email
  const dedupeKey = input.idempotencyKey ? actionDedupeKey('resend', app.id, input.idempotencyKey) : null

  const replay = async (): Promise<ResendResult | null> => {
    if (dedupeKey) {
      const seen = await getEventByDedupeKey(db, dedupeKey)
      if (!seen) return null
      // The same key for another resend is a client bug, never a second mail.
      if (seen.data?.to !== to || seen.data?.reason !== input.reason) throw new IdempotencyKeyReusedError()
      return { deliveryId: String(seen.data.deliveryId), to, licenseId: license.id, duplicate: true }
    }
    // Without a key, a resend to this address still waiting to go out is the one asked for again.
    const pending = await findPendingResend(db, app.id, corrected)
    return pending ? { deliveryId: pending.id, to, licenseId: license.id, duplicate: true } : null
  }
  const earlier = await replay()
  if (earlier) return earlier

  const deliveryId = newDeliveryId()
  const eventId = newEventId()
  const base = { applicationId: app.id, fromStatus: null, toStatus: null, source: 'operator' as const, dingtalkEventId: null, createdAt: now }
  const statements: D1PreparedStatement[] = []
  if (corrected) {
    statements.push(
      insertEventStatement(db, {
        ...base,
        id: newEventId(),
        type: 'operator.email_corrected',
        dedupeKey: dedupeKey && `${dedupeKey}/email`,
        data: { operator, reason: input.reason, from: app.email, to: corrected, deliveryId },
      }),
    )
  }
  statements.push(
    insertEventStatement(db, {
      ...base,
      id: eventId,
      type: 'operator.resend',
      dedupeKey,
      data: { operator, reason: input.reason, deliveryId, to, licenseId: license.id, corrected: corrected !== null },
    }),
    // Only with its event: a key seen before writes neither.
    insertResendStatement(db, { id: deliveryId, applicationId: app.id, toAddress: corrected, now }, eventId),
  )
  const results = await db.batch(statements)
  if (results[results.length - 1].meta.changes === 1) return { deliveryId, to, licenseId: license.id, duplicate: false }
  // Another request with the same key won the race.
  const raced = await replay()
  if (!raced) throw new Error(`resend of ${app.id} was not recorded`)
  return raced
}
