// /api/applications: the applicant's side — submit a request, then follow it with the access token.
// A request is stored within the pending limits (pending-limits.ts) and submitted within the
// budgets (budgets.ts): over one it is kept and answered 202 `deferred`.
import { Hono } from 'hono'
import { alertWasSent } from '../alerts/store.ts'
import type { Context } from 'hono'
import type { Application } from '../db/applications.ts'
import { findPending, getApplication, insertApplicationStatement } from '../db/applications.ts'
import { insertEventStatement, listEvents } from '../db/events.ts'
import { getLicenseByApplication } from '../db/licenses.ts'
import { bindPickupStatements, bindPickupToExisting, getPickupByUserCode } from '../db/pickups.ts'
import { normalizeFeatureCode } from '../../../license/src/feature-code.ts'
import { claimIdempotencyKeyStatements, getLiveIdempotencyKey } from '../db/submit-idempotency.ts'
import { dingtalkFor } from '../dingtalk/egress.ts'
import type { AppEnv } from '../env.ts'
import {
  ApplicationPendingError,
  DingTalkRejectedError,
  NotFoundError,
  PickupError,
  TooManyPendingError,
  TurnstileError,
  ValidationError,
} from '../errors.ts'
import { verifyFeatureCodeCheck } from '../contract/feature-code-check.ts'
import { errorFields } from '../log.ts'
import { limitBody } from '../body.ts'
import { insertDeliveryStatement } from '../db/deliveries.ts'
import { createMailer } from '../mail/mailer.ts'
import { processOutbox } from '../outbox.ts'
import { limitSubmitRate, validApplication } from './application-body.ts'
import { newApplicationId, newDeliveryId, newEventId } from '../ids.ts'
import { hashApplicationInput, IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey, replayedApplicationId } from '../idempotency.ts'
import { licenseFileName } from '../issuance.ts'
import { DERIVED_TOKEN_MARKER, statusUrlOf, verifyStatusToken } from '../status-token.ts'
import { submitToDingTalk } from '../submission.ts'
import { TURNSTILE_HEADER, verifyTurnstile } from '../turnstile.ts'
import { LEASE_MS } from '../backoff.ts'
import { decisionCommentField } from '../decision-comment.ts'
import { timeZoneOf } from '../time-zone.ts'
import { CAP_ERROR_PREFIX } from '../budgets.ts'
import { judgePending, type PendingVerdict } from '../pending-limits.ts'
import { setRenewsStatement } from '../db/renewals.ts'
import { checkRenewalTerms, resolveRenewal } from '../renewal/check.ts'

/**
 * 422 PICKUP_INVALID (unknown, another product or feature code, or not what the product asked for:
 * the renewal of the license it showed, or a new license), 410 PICKUP_EXPIRED, 409 PICKUP_USED.
 */
async function checkPickup(db: D1Database, userCode: string, input: { product: string; featureCode: string; renews: string | null }, now: number): Promise<void> {
  const found = await getPickupByUserCode(db, userCode)
  if (!found || found.product !== input.product || normalizeFeatureCode(found.featureCode) !== normalizeFeatureCode(input.featureCode)) throw new PickupError('PICKUP_INVALID')
  if (found.renewsLicenseId !== input.renews) throw new PickupError('PICKUP_INVALID')
  if (found.applicationId !== null || found.consumedAt !== null) throw new PickupError('PICKUP_USED')
  if (now >= found.expiresAt) throw new PickupError('PICKUP_EXPIRED')
}

const iso = (ms: number): string => new Date(ms).toISOString()
const isHeldBack = (app: Application): boolean => app.status === 'submitted' && (app.lastError ?? '').startsWith(CAP_ERROR_PREFIX)

/** 200 with the application a first request under the same Idempotency-Key created; nothing is submitted. */
async function answerReplay(c: Context<AppEnv>, applicationId: string): Promise<Response> {
  const app = await getApplication(c.env.DB, applicationId)
  if (!app) throw new Error(`idempotency record names a missing application ${applicationId}`)
  c.var.log.info('idempotent retry answered', { applicationId, status: app.status })
  const statusUrl = await statusUrlOf(c.var.config.publicOrigin, c.var.config.statusTokenKey, app.id)
  return c.json({ id: app.id, status: app.status, statusUrl }, 200)
}

/**
 * A request the pending limits stop (nothing stored): the applicant's own pending application for
 * this machine (200, by its number), or 409 / 429. Never a status link: email and feature code are
 * no secret, and the link opens the application's personal data; the decision is emailed anyway.
 */
async function answerPending(c: Context<AppEnv>, verdict: Exclude<PendingVerdict, { kind: 'new' }>, pickup: string | null = null): Promise<Response> {
  const { config, log } = c.var
  if (verdict.kind === 'too_many') {
    log.info('submission refused: too many pending applications for the email', { limit: config.pendingLimits.perEmail })
    throw new TooManyPendingError(config.pendingLimits.perEmail)
  }
  if (verdict.kind === 'taken') {
    log.info('submission refused: another request for this machine is pending', { existingId: verdict.id })
    throw new ApplicationPendingError(verdict.id)
  }
  const app = await getApplication(c.env.DB, verdict.id)
  if (!app) throw new Error(`pending application ${verdict.id} vanished`)
  // A new pickup (the product showed a new QR) for the applicant's own pending application: bound
  // to it, unless that application already has one.
  if (pickup && (await bindPickupToExisting(c.env.DB, { userCode: pickup, applicationId: app.id, now: Date.now() }))) {
    log.info('pickup bound to the applicant\'s pending application', { applicationId: app.id })
  }
  log.info('submission answered with the applicant\'s pending application', { applicationId: app.id, status: app.status })
  return c.json({ id: app.id, status: app.status, existing: true }, 200)
}

export const applications = new Hono<AppEnv>()
  .post('/', limitBody(), limitSubmitRate(), validApplication(), async (c) => {
    const { config, log } = c.var
    const key = parseIdempotencyKey(c.req.header(IDEMPOTENCY_KEY_HEADER))
    const { featureCodeCheck, renews, pickup, ...input } = c.req.valid('json')
    // A QR's check value that does not vouch for the code: a damaged or hand-altered link.
    if (featureCodeCheck && !(await verifyFeatureCodeCheck(input.featureCode, featureCodeCheck))) {
      throw new ValidationError({ featureCode: 'CHECK_MISMATCH' })
    }
    const checked = { value: input }

    const now = Date.now()
    // The key is bound to the validated request: the same key with another body is refused.
    const idempotency = key === null ? null : { key, requestHash: await hashApplicationInput(pickup ? { ...checked.value, pickup } : checked.value) }
    if (idempotency) {
      const record = await getLiveIdempotencyKey(c.env.DB, idempotency.key, now)
      if (record) return answerReplay(c, replayedApplicationId(record, idempotency.requestHash))
    }
    // A renewal link's claim, checked before anything is stored (docs/renewal.md); after the replay,
    // which would otherwise meet its own first try as the license's renewal.
    const renewed = renews ? await resolveRenewal(c.env.DB, config, renews) : null
    if (renewed) checkRenewalTerms(renewed, input)
    // A person, not a bot: checked before anything is stored or sent to DingTalk.
    if (config.turnstile) {
      const verdict = await verifyTurnstile(
        { verifyUrl: config.turnstile.verifyUrl, secret: config.turnstile.secret, hostnames: [new URL(config.publicOrigin).hostname], fetch: (input, init) => fetch(input, init) },
        { token: c.req.header(TURNSTILE_HEADER), remoteIp: c.req.header('cf-connecting-ip'), idempotencyKey: key },
      )
      if (!verdict.ok) {
        log.warn('turnstile refused the submission', { code: verdict.code, reason: verdict.reason })
        throw new TurnstileError(verdict.code)
      }
    }

    // The pickup the product polls (docs/pickup.md): checked now, bound in the batch below.
    if (pickup) await checkPickup(c.env.DB, pickup, { ...checked.value, renews: renewed?.license.id ?? null }, now)

    const app: Application = {
      ...checked.value,
      id: newApplicationId(),
      // The token is derived from STATUS_TOKEN_SECRET and never stored (status-token.ts).
      accessTokenHash: DERIVED_TOKEN_MARKER,
      renewsLicenseId: renewed?.license.id ?? null,
      status: 'submitted',
      dingtalkInstanceId: null,
      submitAttempts: 0,
      // Leased to this request; if it dies mid-way, cron takes over once the lease ends.
      nextSubmitAt: now + LEASE_MS,
      lastError: null,
      pollAttempts: 0,
      nextPollAt: null,
      submitOutcomeUnknownAt: null,
      submitDeferredUntil: null,
      createdAt: now,
      updatedAt: now,
    }
    const submittedEventId = newEventId()
    const claim = idempotency ? claimIdempotencyKeyStatements(c.env.DB, { ...idempotency, applicationId: app.id, createdAt: now }) : []
    // Stored only within the pending limits, checked again by the INSERT itself: a request that
    // loses the race to a concurrent twin stores nothing and meets the twin on the next round.
    let stored = false
    for (let round = 0; round < 3 && !stored; round++) {
      const verdict = judgePending(await findPending(c.env.DB, app), config.pendingLimits)
      if (verdict.kind !== 'new') return answerPending(c, verdict, pickup ?? null)
      let inserted: D1Result
      try {
        ;[inserted] = await c.env.DB.batch([
          insertApplicationStatement(c.env.DB, app, config.pendingLimits),
          // Both written only with the application (the event requires it, so does the key).
          insertEventStatement(
            c.env.DB,
            {
              id: submittedEventId,
              applicationId: app.id,
              type: 'application.submitted',
              fromStatus: null,
              toStatus: 'submitted',
              source: 'api',
              dedupeKey: null,
              dingtalkEventId: null,
              data: { product: app.product },
              createdAt: now,
            },
            'submitted',
          ),
          // The acknowledgement mail, queued with the application (only if its event was written).
          insertDeliveryStatement(c.env.DB, { id: newDeliveryId(), applicationId: app.id, kind: 'acknowledgement', now }, submittedEventId),
          ...(renewed ? [setRenewsStatement(c.env.DB, app.id, renewed.license.id)] : []),
          ...claim,
          ...(pickup ? bindPickupStatements(c.env.DB, { userCode: pickup, applicationId: app.id, now }) : []),
        ])
      } catch (err) {
        // A concurrent application took the pickup first: this batch wrote nothing.
        if (pickup) await checkPickup(c.env.DB, pickup, { ...checked.value, renews: renewed?.license.id ?? null }, now)
        // A concurrent twin with the same key won the PRIMARY KEY; this batch wrote nothing.
        const winner = idempotency ? await getLiveIdempotencyKey(c.env.DB, idempotency.key, now) : null
        if (!idempotency || !winner) throw err
        return answerReplay(c, replayedApplicationId(winner, idempotency.requestHash))
      }
      stored = inserted.meta.changes === 1
      if (!stored && idempotency) {
        // The twin that filled the limit may be this very request's first try under the same key.
        const winner = await getLiveIdempotencyKey(c.env.DB, idempotency.key, now)
        if (winner) return answerReplay(c, replayedApplicationId(winner, idempotency.requestHash))
      }
    }
    if (!stored) throw new Error('the pending applications kept changing; nothing was stored')
    log.info('application stored', { applicationId: app.id, product: app.product, idempotent: idempotency !== null, renews: renewed?.license.id })

    const statusUrl = await statusUrlOf(config.publicOrigin, config.statusTokenKey, app.id)
    // The acknowledgement goes out after the response, beside the submit; a failure to mail is the
    // outbox's (retried by cron, alerted as MAIL_FAILED), never the submission's.
    const mailer = createMailer({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl, from: config.mailFrom })
    c.executionCtx.waitUntil(
      processOutbox({ db: c.env.DB, config, mailer, log, now }, { applicationId: app.id }).catch((err) =>
        log.error('acknowledgement mail after the submission failed; cron will retry', errorFields(err)),
      ),
    )
    const dingtalk = dingtalkFor(c.env, config, c.var.requestId)
    const submitting = submitToDingTalk({ db: c.env.DB, config, dingtalk, log, now, source: 'api' }, app)
    // A slow DingTalk (or a proxy failing over) must not hold the applicant: past the deadline the
    // answer is 202 and the submit finishes after the response; cron takes over if it does not.
    c.executionCtx.waitUntil(submitting.catch((err) => log.error('submit after the response failed; cron will retry', errorFields(err))))
    let timer: ReturnType<typeof setTimeout> | null = null
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), config.submitAnswerWithinMs)
    })
    // An unexpected failure is logged by the waitUntil above; the application is saved, so still 202.
    const outcome = await Promise.race([submitting.catch(() => null), late]).finally(() => timer && clearTimeout(timer))
    if (!outcome) log.info('DingTalk slower than the answer deadline; answering 202', { applicationId: app.id })
    if (outcome?.status === 'pending_approval') return c.json({ id: app.id, status: outcome.status, statusUrl }, 201)
    // Over a budget (budgets.ts): kept and submitted when the window reopens; reviewed later.
    if (outcome?.deferred) return c.json({ id: app.id, status: 'submitted' as const, statusUrl, deferred: true }, 202)
    // A DingTalk business error (upstream detail in the log) is retried by cron: to the applicant the
    // application is saved and not yet submitted, a success like any other 202 (issue 9), not an error.
    if (outcome?.error instanceof DingTalkRejectedError) log.info('DingTalk refused the submission; answering 202, cron retries', { applicationId: app.id, upstreamCode: outcome.error.upstreamCode })
    // Saved and being (or to be) submitted: a success for the applicant, who follows statusUrl.
    return c.json({ id: app.id, status: 'submitted' as const, statusUrl }, 202)
  })
  .get('/:id', async (c) => {
    const id = c.req.param('id')
    const token = c.req.query('t') ?? ''
    const app = await getApplication(c.env.DB, id)
    const valid = await verifyStatusToken(c.var.config.statusTokenKey, id, token, app?.accessTokenHash ?? null)
    if (!valid || !app) throw new NotFoundError('no such application, or the link is incomplete')
    const [events, license] = await Promise.all([listEvents(c.env.DB, app.id), getLicenseByApplication(c.env.DB, app.id)])
    c.header('Cache-Control', 'no-store')
    return c.json({
      id: app.id,
      status: app.status,
      // Kept by a budget (daily or monthly cap, polling reserve) until the window reopens; why is not told.
      deferred: isHeldBack(app),
      // Said only when a notice of its APPLICATION_FAILED alert was sent (docs/alerts.md).
      ...(app.status === 'failed' ? { alerted: await alertWasSent(c.env.DB, 'APPLICATION_FAILED', app.id) } : {}),
      product: app.product,
      featureCode: app.featureCode,
      quantity: app.quantity,
      validityDays: app.validityDays,
      name: app.name,
      company: app.company,
      email: app.email,
      locale: app.locale,
      // The zone the mails print times in; the page prints them in it too, named.
      timeZone: timeZoneOf(app),
      // The refusing approver's remark, only when SHOW_APPROVER_COMMENT allows it.
      ...decisionCommentField(c.var.config, app, events),
      createdAt: iso(app.createdAt),
      timeline: events.flatMap((e) => (e.toStatus ? [{ status: e.toStatus, at: iso(e.createdAt) }] : [])),
      license: license
        ? {
            id: license.id,
            notBefore: iso(license.nbf * 1000),
            expiresAt: iso(license.exp * 1000),
            fileName: licenseFileName(app.product, license.id),
            // Revoked by an operator (docs/console.md, "Revoke"): the file no longer works. Why is not told.
            revokedAt: license.revokedAt === null ? null : iso(license.revokedAt),
          }
        : null,
    })
  })
