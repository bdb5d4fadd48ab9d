// The mail outbox: issues the license of approved applications and sends due deliveries through
// Resend with Idempotency-Key `delivery/<id>`, so a retried send never mails twice. Sends are paced
// to MAIL_RATE_PER_SECOND; a 429 waits for `retry-after` (not a failed attempt) and a 429 or 5xx
// ends the run's sending. Passing failures retry every run for an hour, then back off; a delivery
// is given up at a day old, a permanent failure (mail/failure.ts) at once, alerting the operator.
import type { Config } from './config.ts'
import { getApplication, listApproved, type Application } from './db/applications.ts'
import {
  cancelDelivery,
  claimDelivery,
  listDueDeliveries,
  markDeliverySentStatement,
  recordDeliveryFailureStatement,
  type Delivery,
} from './db/deliveries.ts'
import { insertEventStatement, listEvents } from './db/events.ts'
import { decisionCommentOf } from './decision-comment.ts'
import { timeZoneOf } from './time-zone.ts'
import { getLicense } from './db/licenses.ts'
import { newEventId } from './ids.ts'
import { ensureLicense, licenseFileName } from './issuance.ts'
import { applyTransition } from './lifecycle.ts'
import { errorFields, type Logger } from './log.ts'
import { classifyMailFailure, haltsRun, isFinalFailure, type MailFailureKind } from './mail/failure.ts'
import { base64Utf8, type Mailer, type OutgoingMail } from './mail/mailer.ts'
import { renderAcknowledgementMail } from './mail/acknowledgement.ts'
import { renderRenewalReminderMail } from './mail/renewal-reminder.ts'
import { renewalUrlOf } from './renewal/token.ts'
import { reminderVoidReason } from './db/renewals.ts'
import { renderLicenseMail, renderRejectionMail } from './mail/templates.ts'
import { statusUrlOf } from './status-token.ts'
import { raiseAlert, raiseAlertStatements, resolveIfFiring } from './alerts/store.ts'
import {
  DELIVERY_GIVE_UP_AFTER_MS,
  DELIVERY_RATE_LIMITED_MS,
  DELIVERY_RETRY_SOON_MS,
  LEASE_MS,
  OUTBOX_RUN_SECONDS,
  EVENT_SEND_SECONDS,
  deliveryDelay,
  deliveryRetryDelay,
} from './backoff.ts'

export type OutboxDeps = {
  db: D1Database
  config: Config
  mailer: Mailer
  log: Logger
  now: number
  /** Waits between sends (pacing); a test passes a fake. */
  sleep?: (ms: number) => Promise<void>
  /** The wall clock, for pacing. */
  clock?: () => number
}
export type OutboxOptions = { applicationId?: string; limit?: number }
/** `cancelled`: reminders no longer due when their turn came, not sent. */
export type OutboxSummary = { sent: number; retrying: number; failed: number; cancelled: number; halted: boolean }

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export async function processOutbox(deps: OutboxDeps, options: OutboxOptions = {}): Promise<OutboxSummary> {
  const summary: OutboxSummary = { sent: 0, retrying: 0, failed: 0, cancelled: 0, halted: false }
  const limit = options.limit ?? deps.config.mailRatePerSecond * OUTBOX_RUN_SECONDS
  const sleep = deps.sleep ?? realSleep
  const clock = deps.clock ?? Date.now
  const interval = 1000 / deps.config.mailRatePerSecond
  let nextSlot = clock()
  if (!options.applicationId) {
    // Crash recovery: an approved application whose license was never issued gets it now.
    for (const app of await listApproved(deps.db, limit)) {
      await ensureLicense({ db: deps.db, config: deps.config, now: deps.now, source: 'outbox' }, app).catch((err) =>
        deps.log.error('license issue failed', { applicationId: app.id, ...errorFields(err) }),
      )
    }
  }
  // A 429 whose retry-after fits in what is left of the run is waited for here, then the run goes
  // on; a 5xx, or a longer retry-after, leaves the rest due for the next run.
  const started = clock()
  const budgetMs = (options.applicationId ? EVENT_SEND_SECONDS : OUTBOX_RUN_SECONDS) * 1000
  let handled = 0
  pass: for (;;) {
    const now = deps.now + (clock() - started)
    const due = await listDueDeliveries(deps.db, now, limit - handled, options.applicationId)
    for (const delivery of due) {
      const wait = nextSlot - clock()
      if (wait > 0) await sleep(wait)
      nextSlot = Math.max(nextSlot, clock()) + interval
      const at = deps.now + (clock() - started)
      if (!(await claimDelivery(deps.db, delivery.id, at, at + LEASE_MS))) continue
      handled++
      const { outcome, halt, retryAfterMs } = await deliver({ ...deps, now: at }, delivery)
      summary[outcome]++
      if (!halt) continue
      if (retryAfterMs !== null && clock() - started + retryAfterMs < budgetMs && handled < limit) {
        await sleep(retryAfterMs)
        nextSlot = clock()
        continue pass
      }
      summary.halted = true
      break pass
    }
    break
  }
  return summary
}

async function compose(deps: OutboxDeps, delivery: Delivery, app: Application): Promise<OutgoingMail> {
  const product = deps.config.products.get(app.product) ?? { id: app.product, name: app.product }
  // Derived, so the same on every retry: the payload under one Idempotency-Key never changes.
  const statusUrl = await statusUrlOf(deps.config.publicOrigin, deps.config.statusTokenKey, app.id)
  const common = {
    locale: app.locale,
    timeZone: timeZoneOf(app),
    vendor: deps.config.vendor,
    name: app.name,
    productName: product.name,
    applicationId: app.id,
    statusUrl,
  }
  const replyTo = deps.config.mailReplyTo ? { replyTo: deps.config.mailReplyTo } : {}
  if (delivery.kind === 'rejection') {
    // Stored in events, so the same on every retry (the payload under one key never changes).
    const comment = decisionCommentOf(deps.config, app, await listEvents(deps.db, app.id))
    const mail = renderRejectionMail({ ...common, comment })
    return { to: app.email, ...replyTo, ...mail }
  }
  if (delivery.kind === 'acknowledgement') {
    const mail = renderAcknowledgementMail({
      ...common,
      featureCode: app.featureCode,
      quantity: app.quantity,
      validityDays: app.validityDays,
    })
    // Tagged (only this kind: the payload of a mail already in flight must not change).
    return { to: app.email, ...replyTo, ...mail, tags: [{ name: 'kind', value: 'acknowledgement' }] }
  }
  if (delivery.kind === 'renewal_reminder') {
    const license = delivery.licenseId ? await getLicense(deps.db, delivery.licenseId) : null
    if (!license) throw new Error(`license ${delivery.licenseId} of reminder ${delivery.id} not found`)
    const { statusUrl: _status, ...rest } = common
    const mail = renderRenewalReminderMail({
      ...rest,
      licenseId: license.id,
      featureCode: license.featureCode,
      quantity: license.quantity,
      expiresAt: license.exp,
      renewalUrl: await renewalUrlOf(deps.config.publicOrigin, deps.config.statusTokenKey, license.id),
    })
    return { to: app.email, ...replyTo, ...mail, tags: [{ name: 'kind', value: 'renewal_reminder' }] }
  }
  // A resend (an operator's) carries the same license file, to the address it names if corrected;
  // a reissue's mail names its new license.
  const named = delivery.licenseId ? await getLicense(deps.db, delivery.licenseId) : null
  if (delivery.licenseId && !named) throw new Error(`license ${delivery.licenseId} of delivery ${delivery.id} not found`)
  const license = named ?? (await ensureLicense({ db: deps.db, config: deps.config, now: deps.now, source: 'outbox' }, app))
  const fileName = licenseFileName(app.product, license.id)
  const mail = renderLicenseMail({
    ...common,
    licenseId: license.id,
    featureCode: license.featureCode,
    quantity: license.quantity,
    notBefore: license.nbf,
    expiresAt: license.exp,
    fileName,
    replaces: license.supersedes,
    renews: app.renewsLicenseId ?? null,
  })
  return { to: delivery.toAddress ?? app.email, ...replyTo, ...mail, attachments: [{ filename: fileName, content: base64Utf8(license.text) }] }
}

type Counted = 'sent' | 'retrying' | 'failed' | 'cancelled'

async function deliver(deps: OutboxDeps, delivery: Delivery): Promise<{ outcome: Counted; halt: boolean; retryAfterMs: number | null }> {
  const { db, now, log } = deps
  const attempts = delivery.attempts + 1
  const fields = { deliveryId: delivery.id, applicationId: delivery.applicationId, kind: delivery.kind, attempts }
  let failure: Failure
  let halt = false
  try {
    // A reminder may have waited (an outage, a rate limit): what it asks for may be done already.
    if (delivery.kind === 'renewal_reminder') {
      const reason = delivery.licenseId ? await reminderVoidReason(db, delivery.licenseId, Math.floor(now / 1000)) : 'license_missing'
      if (reason) {
        await cancelDelivery(db, delivery.id, { reason: `not sent: ${reason}`, now })
        log.info('renewal reminder cancelled', { ...fields, licenseId: delivery.licenseId, reason })
        return { outcome: 'cancelled', halt: false, retryAfterMs: null }
      }
    }
    const app = await getApplication(db, delivery.applicationId)
    if (!app) throw new Error('application not found')
    const result = await deps.mailer.send(await compose(deps, delivery, app), `delivery/${delivery.id}`)
    if (result.ok) {
      await markSent(deps, delivery, attempts, result.id)
      log.info('mail sent', { ...fields, resendEmailId: result.id })
      return { outcome: 'sent', halt: false, retryAfterMs: null }
    }
    const kind = classifyMailFailure(result)
    failure = { error: result.error, kind, retryAfterMs: result.retryAfterMs }
    halt = haltsRun(result, kind)
  } catch (err) {
    log.error('mail delivery attempt crashed', { ...fields, ...errorFields(err) })
    failure = { error: err instanceof Error ? err.message : String(err), kind: 'retry', retryAfterMs: null }
  }
  const outcome = await recordFailure(deps, delivery, attempts, { ...failure, error: failure.error.slice(0, 500) })
  return { outcome, halt, retryAfterMs: failure.kind === 'rate_limited' ? (failure.retryAfterMs ?? null) : null }
}

type Failure = { error: string; kind: MailFailureKind; retryAfterMs: number | null }


async function markSent(deps: OutboxDeps, delivery: Delivery, attempts: number, resendEmailId: string | null) {
  const { db, now } = deps
  const sent = markDeliverySentStatement(db, delivery.id, { attempts, resendEmailId, now })
  const data = { deliveryId: delivery.id, kind: delivery.kind, resendEmailId }
  // A resend that reaches the applicant delivers the license too, even after the first mail failed.
  const from = delivery.kind === 'license' ? 'issued' : delivery.kind === 'license_resend' ? (await getApplication(db, delivery.applicationId))?.status : null
  if (from === 'issued' || (from === 'failed' && delivery.kind === 'license_resend')) {
    await applyTransition(
      db,
      { applicationId: delivery.applicationId, from, to: 'delivered', type: 'delivery.sent', source: 'outbox', now, data },
      { before: [sent] },
    )
  } else {
    await db.batch([sent, insertEventStatement(db, note(delivery, 'delivery.sent', data, now))])
  }
  // Mail goes out again: Resend accepts the key and the sender.
  await resolveIfFiring({ db, config: deps.config, log: deps.log }, { code: 'MAIL_MISCONFIGURED', now })
}

function retryDelay(failure: Failure, attempts: number, age: number): number {
  if (failure.kind === 'rate_limited') return failure.retryAfterMs ?? DELIVERY_RATE_LIMITED_MS
  if (failure.kind === 'retry_soon') return DELIVERY_RETRY_SOON_MS
  if (failure.kind === 'misconfigured') return deliveryDelay(attempts)
  return deliveryRetryDelay(attempts, age)
}

async function recordFailure(deps: OutboxDeps, delivery: Delivery, tried: number, failure: Failure): Promise<Counted> {
  const { db, now, log } = deps
  const lastError = failure.error
  // Being throttled is not a failed attempt: the count stays, only the time moves.
  const attempts = failure.kind === 'rate_limited' ? delivery.attempts : tried
  const final = isFinalFailure(failure.kind) || now - delivery.createdAt >= DELIVERY_GIVE_UP_AFTER_MS
  const delay = retryDelay(failure, attempts, now - delivery.createdAt)
  const update = recordDeliveryFailureStatement(db, delivery.id, {
    attempts,
    nextAttemptAt: final ? null : now + delay,
    lastError,
    now,
  })
  const data = { deliveryId: delivery.id, kind: delivery.kind, attempts, error: lastError, failure: failure.kind }
  const fields = { deliveryId: delivery.id, applicationId: delivery.applicationId, kind: delivery.kind, attempts, error: lastError, failure: failure.kind }
  if (!final) {
    await db.batch([update, insertEventStatement(db, note(delivery, 'delivery.attempt_failed', data, now))])
    // A refused key or sender is for an operator to fix; the mail goes out on a later attempt.
    if (failure.kind === 'misconfigured') {
      // A refused key or sender is for a person to fix (the alert goes to ALERT_EMAIL, through this
      // same Resend account, and to the DingTalk robot if there is one).
      await raiseAlert({ db, config: deps.config, log }, { code: 'MAIL_MISCONFIGURED', now, details: { error: lastError, delivery: delivery.id } })
    } else log.warn('mail not sent; will retry', fields)
    return 'retrying'
  }
  // Why it was given up, kept in the `delivery.failed` event.
  const reason = isFinalFailure(failure.kind) ? failure.kind : 'too_old'
  // A payload changed under the same key (a setting changed between attempts?) is a bug or a
  // config change to look at, never something a retry fixes: it is given up like the others.
  await giveUp(deps, delivery, update, { ...data, reason })
  log.error('mail delivery failed for good; alerted', { ...fields, reason })
  return 'failed'
}

async function giveUp(deps: OutboxDeps, delivery: Delivery, update: D1PreparedStatement, data: Record<string, unknown>): Promise<void> {
  const { db, now } = deps
  const app = await getApplication(db, delivery.applicationId)
  const alerts = { db, config: deps.config }
  const details = { application: delivery.applicationId, delivery: delivery.id, kind: delivery.kind, reason: data.reason, lastError: data.error }
  if (delivery.kind === 'license' && app && (app.status === 'issued' || app.status === 'approved')) {
    // The application fails with its license undelivered: one alert, raised with the transition.
    await applyTransition(
      db,
      { applicationId: app.id, from: app.status, to: 'failed', type: 'delivery.failed', source: 'outbox', now, data },
      {
        before: [update],
        after: (eventId) =>
          raiseAlertStatements(alerts, { code: 'APPLICATION_FAILED', subject: app.id, now, whenEvent: eventId, details: { ...details, step: 'mailing the license' } }),
      },
    )
  } else {
    await db.batch([
      update,
      insertEventStatement(db, note(delivery, 'delivery.failed', data, now)),
      ...raiseAlertStatements(alerts, { code: 'MAIL_FAILED', subject: delivery.id, now, details }),
    ])
  }
}

function note(delivery: Delivery, type: string, data: Record<string, unknown>, now: number) {
  return {
    id: newEventId(),
    applicationId: delivery.applicationId,
    type,
    fromStatus: null,
    toStatus: null,
    source: 'outbox' as const,
    dedupeKey: null,
    dingtalkEventId: null,
    data,
    createdAt: now,
  }
}
