// The console's Reissue (docs/console.md, "Actions"): a corrected license (a mistyped feature code,
// a wrong quantity, after confirming with the customer) that supersedes the current one. One batch
// writes the `operator.reissue` event, the new license (same validity period, corrected terms), the
// revocation of the old one with its own `operator.revoke` event, and the mail of the new license.
// The application keeps what was requested and approved; the correction lives on the license.
import { normalizeFeatureCode } from '../../../license/src/index.ts'
import type { Config } from '../config.ts'
import type { Application } from '../db/applications.ts'
import { insertResendStatement } from '../db/deliveries.ts'
import { getEventByDedupeKey, insertEventStatement } from '../db/events.ts'
import { getLicenseByApplication, insertReissueStatement } from '../db/licenses.ts'
import { ActionRefusedError, IdempotencyKeyReusedError } from '../errors.ts'
import { newDeliveryId, newEventId, newLicenseId } from '../ids.ts'
import { signLicense } from '../issuance.ts'
import { actionDedupeKey, type ActionDeps, type ReissueInput } from './action.ts'
import { revokeStatements } from './revoke.ts'

const REISSUABLE = new Set(['issued', 'delivered', 'failed'])

export type ReissueResult = { applicationId: string; licenseId: string; supersedes: string; deliveryId: string; duplicate: boolean }

export async function reissueLicense(deps: ActionDeps & { config: Config }, app: Application, input: ReissueInput): Promise<ReissueResult> {
  const { db, now, operator, config } = deps
  const dedupeKey = input.idempotencyKey ? actionDedupeKey('reissue', app.id, input.idempotencyKey) : null
  const replay = async (): Promise<ReissueResult | null> => {
    const seen = dedupeKey ? await getEventByDedupeKey(db, dedupeKey) : null
    if (!seen) return null
    const asked = { reason: input.reason, featureCode: input.featureCode, quantity: input.quantity }
    const recorded = { reason: seen.data?.reason, featureCode: seen.data?.askedFeatureCode, quantity: seen.data?.askedQuantity }
    if (JSON.stringify(asked) !== JSON.stringify(recorded)) throw new IdempotencyKeyReusedError()
    const { licenseId, supersedes, deliveryId } = seen.data as Record<string, string>
    return { applicationId: app.id, licenseId, supersedes, deliveryId, duplicate: true }
  }
  const earlier = await replay()
  if (earlier) return earlier

  const current = await getLicenseByApplication(db, app.id)
  // Issued and not ended otherwise (a withdrawn application keeps its licenses as they are).
  if (!current || !REISSUABLE.has(app.status)) throw new ActionRefusedError('REISSUE_NOT_ISSUED', app.status)
  const featureCode = input.featureCode ?? current.featureCode
  const quantity = input.quantity ?? current.quantity
  // What a verifier compares: a change of case or grouping only is the same machine.
  if (normalizeFeatureCode(featureCode) === normalizeFeatureCode(current.featureCode) && quantity === current.quantity) {
    throw new ActionRefusedError('REISSUE_NOTHING_CHANGED', app.status)
  }
  if (current.exp * 1000 <= now) throw new ActionRefusedError('REISSUE_EXPIRED', app.status)

  const license = await signLicense(config, app, {
    id: newLicenseId(),
    nbf: current.nbf,
    exp: current.exp,
    featureCode,
    quantity,
    supersedes: current.id,
    now,
  })
  const eventId = newEventId()
  const deliveryId = newDeliveryId()
  const statements = [
    insertEventStatement(db, {
      id: eventId,
      applicationId: app.id,
      type: 'operator.reissue',
      fromStatus: null,
      toStatus: null,
      source: 'operator',
      dedupeKey,
      dingtalkEventId: null,
      data: {
        operator,
        reason: input.reason,
        licenseId: license.id,
        supersedes: current.id,
        deliveryId,
        from: { featureCode: current.featureCode, quantity: current.quantity },
        to: { featureCode, quantity },
        askedFeatureCode: input.featureCode,
        askedQuantity: input.quantity,
      },
      createdAt: now,
    }),
    // Fails the whole batch (UNIQUE licenses_successor) when another reissue of `current` landed.
    insertReissueStatement(db, license, eventId),
    ...(current.revokedAt === null
      ? revokeStatements(deps, current, { reason: input.reason, dedupeKey: dedupeKey && `${dedupeKey}/revoke`, data: { supersededBy: license.id } })
      : []),
    insertResendStatement(db, { id: deliveryId, applicationId: app.id, toAddress: null, now, licenseId: license.id }, eventId),
  ]
  try {
    const results = await db.batch(statements)
    if (results[1].meta.changes === 1) return { applicationId: app.id, licenseId: license.id, supersedes: current.id, deliveryId, duplicate: false }
  } catch (err) {
    if (!/UNIQUE constraint failed/i.test(String((err as Error)?.message))) throw err
  }
  // The same key won a race (its event exists), or another reissue superseded `current` first.
  const raced = await replay()
  if (raced) return raced
  throw new ActionRefusedError('REISSUE_LICENSE_CHANGED', app.status)
}
