// The console's Revoke (docs/console.md, "Actions"): a license is marked revoked with the
// operator's reason, in one batch with its `operator.revoke` event, and is in the signed
// revocation list from then on (GET /.well-known/license-revocations.jwt). The application's status
// does not change: what was approved and delivered stays so in its trail.
import { getEventByDedupeKey, insertEventStatement } from '../db/events.ts'
import { getLicense, revokeLicenseStatement, type LicenseRecord } from '../db/licenses.ts'
import { IdempotencyKeyReusedError, NotFoundError } from '../errors.ts'
import { newEventId } from '../ids.ts'
import { actionDedupeKey, type ActionDeps, type ActionInput } from './action.ts'

export type RevokeResult = { licenseId: string; applicationId: string; status: 'revoked'; revokedAt: number; duplicate: boolean }

const result = (license: LicenseRecord, revokedAt: number, duplicate: boolean): RevokeResult => ({
  licenseId: license.id,
  applicationId: license.applicationId,
  status: 'revoked',
  revokedAt,
  duplicate,
})

/**
 * The statements that revoke `license` with its event, in this order: the event is written only
 * while the license is unrevoked, the revocation only with the event. Two revokes racing write one.
 */
export function revokeStatements(
  deps: ActionDeps,
  license: LicenseRecord,
  input: { reason: string; dedupeKey: string | null; data?: Record<string, unknown> },
): D1PreparedStatement[] {
  const { db, now, operator } = deps
  const eventId = newEventId()
  const event = {
    id: eventId,
    applicationId: license.applicationId,
    type: 'operator.revoke',
    fromStatus: null,
    toStatus: null,
    source: 'operator' as const,
    dedupeKey: input.dedupeKey,
    dingtalkEventId: null,
    data: { operator, reason: input.reason, licenseId: license.id, ...input.data },
    createdAt: now,
  }
  return [
    insertEventStatement(db, event, { unrevokedLicense: license.id }),
    revokeLicenseStatement(db, { licenseId: license.id, at: now, by: operator, reason: input.reason }, eventId),
  ]
}

export async function revokeLicense(deps: ActionDeps, licenseId: string, input: ActionInput): Promise<RevokeResult> {
  const { db } = deps
  const license = await getLicense(db, licenseId)
  if (!license) throw new NotFoundError('no such license')
  const dedupeKey = input.idempotencyKey ? actionDedupeKey('revoke', license.id, input.idempotencyKey) : null
  if (dedupeKey) {
    const seen = await getEventByDedupeKey(db, dedupeKey)
    if (seen) {
      if (seen.data?.reason !== input.reason) throw new IdempotencyKeyReusedError()
      return result(license, license.revokedAt ?? seen.createdAt, true)
    }
  }
  // Already what was asked for: revoked once, by whoever did it first.
  if (license.revokedAt !== null) return result(license, license.revokedAt, true)
  const results = await db.batch(revokeStatements(deps, license, { reason: input.reason, dedupeKey }))
  if (results[1].meta.changes === 1) return result(license, deps.now, false)
  // Another request revoked it meanwhile: its revocation is the one that counts.
  const stored = await getLicense(db, license.id)
  if (stored?.revokedAt == null) throw new Error(`revocation of ${license.id} was not recorded`)
  return result(stored, stored.revokedAt, true)
}
