// Submits a stored application to DingTalk (through the proxy): from the API right after storing
// it, and from cron for those still `submitted`. Success → pending_approval; failure → retry later
// with back-off, or `failed` (with an APPLICATION_FAILED alert, docs/alerts.md). A create whose
// answer was lost is never repeated blindly: after SUBMIT_ADOPT_AFTER_MS DingTalk is searched first.
// Each submit first takes a slot under the budgets (budgets.ts); over one, the application is kept
// and due when the window reopens.
import type { Config } from './config.ts'
import type { Application } from './db/applications.ts'
import { recordSubmitFailure, recordSubmitOutcomeUnknown } from './db/applications.ts'
import { adoptInstance, searchInstanceOf } from './adopt.ts'
import { deferSubmissions, raiseCapAlert, takeSubmitSlot, type CapState } from './budgets.ts'
import { releaseSubmitSlot, type SubmitSlot } from './db/submission-usage.ts'
import { countApiCall } from './db/api-usage.ts'
import { suspectMissedPush } from './db/worker-state.ts'
import type { DingTalkClient } from './dingtalk/client.ts'
import { buildFormValues } from './dingtalk/form.ts'
import { renewalFormText } from './renewal/form-value.ts'
import { DingTalkOutcomeUnknownError, DingTalkRejectedError, DingTalkUnavailableError, EgressUnavailableError } from './errors.ts'
import { applyTransition, recordNote } from './lifecycle.ts'
import { raiseAlertStatements } from './alerts/store.ts'
import type { Logger } from './log.ts'
import { errorFields } from './log.ts'
import {
  FIRST_POLL_AFTER_MS,
  SUBMIT_GIVE_UP_AFTER_MS,
  SUBMIT_REJECTED_MAX_ATTEMPTS,
  submitDelay,
} from './backoff.ts'

export type SubmitDeps = {
  db: D1Database
  config: Config
  dingtalk: DingTalkClient
  log: Logger
  now: number
  /** `operator`: a console Resubmit (actions/resubmit.ts). */
  source: 'api' | 'cron' | 'operator'
}

export type SubmitOutcome =
  | { status: 'pending_approval'; instanceId: string }
  | { status: 'submitted'; error: DingTalkUnavailableError | DingTalkRejectedError; deferred?: undefined }
  /** Held back by a budget: nothing was sent; due again at `deferred.retryAt`. */
  | { status: 'submitted'; error: null; deferred: CapState }
  | { status: 'failed'; error: DingTalkUnavailableError | DingTalkRejectedError; deferred?: undefined }

function asDingTalkError(err: unknown): DingTalkUnavailableError | DingTalkRejectedError {
  if (err instanceof DingTalkUnavailableError || err instanceof DingTalkRejectedError) return err
  return new DingTalkUnavailableError('submitting failed unexpectedly', { cause: err })
}

const codeOf = (err: DingTalkUnavailableError | DingTalkRejectedError): string =>
  err instanceof DingTalkRejectedError ? err.upstreamCode : (err.upstreamCode ?? err.code)

export async function submitToDingTalk(deps: SubmitDeps, app: Application): Promise<SubmitOutcome> {
  const { db, config, now, log } = deps
  const product = config.products.get(app.product) ?? { id: app.product, name: app.product }
  const attempt = app.submitAttempts + 1
  // The slot this attempt holds, and whether DingTalk may have made an approval with it.
  let slot: SubmitSlot | null = null
  let maybeCreated = false
  try {
    if (app.submitOutcomeUnknownAt !== null && now < app.submitOutcomeUnknownAt + config.submitAdoptAfterMs) {
      // DingTalk may still be creating it: not before the wait, and then only after a search.
      const searchAt = app.submitOutcomeUnknownAt + config.submitAdoptAfterMs
      await recordSubmitOutcomeUnknown(db, app.id, { nextSubmitAt: searchAt, lastError: app.lastError ?? 'outcome unknown', now })
      return { status: 'submitted', error: new DingTalkOutcomeUnknownError('waiting before searching DingTalk for the instance') }
    }
    const taken = await takeSubmitSlot(db, config, now)
    if (!taken.ok) return await holdBack(deps, app, taken.refusal)
    slot = taken.slot
    if (app.submitOutcomeUnknownAt !== null) {
      const found = await searchInstanceOf(deps, app, app.submitOutcomeUnknownAt - config.relayTimeoutMs)
      if (found) {
        // Its create kept the slot it took when the answer was lost: this one goes back.
        await releaseSubmitSlot(db, slot)
        slot = null
        if (await adoptInstance(db, app, { instanceId: found, source: deps.source, now, reason: 'search' })) {
          log.warn('adopted the DingTalk instance of a create whose answer was lost', { applicationId: app.id, instanceId: found })
        }
        return { status: 'pending_approval', instanceId: found }
      }
      log.info('no DingTalk instance found for a lost create; creating it again', { applicationId: app.id })
    }
    // A renewal tells the approver which license it continues (docs/renewal.md).
    const renewal = app.renewsLicenseId ? await renewalFormText(db, app.renewsLicenseId, now) : null
    await countApiCall(db, now)
    maybeCreated = true
    const { instanceId } = await deps.dingtalk.createInstance({
      processCode: config.dingtalk.processCode,
      originatorUserId: config.dingtalk.originatorUserId,
      deptId: config.dingtalk.deptId,
      formComponentValues: buildFormValues({ ...app, applicationId: app.id, productId: product.id, productName: product.name, renewal }, config.dingtalk.formLabels),
    })
    slot = null
    const result = await applyTransition(db, {
      applicationId: app.id,
      from: 'submitted',
      to: 'pending_approval',
      type: 'dingtalk.instance_created',
      source: deps.source,
      now,
      data: { instanceId, attempt },
      set: {
        dingtalkInstanceId: instanceId,
        submitAttempts: attempt,
        nextSubmitAt: null,
        lastError: null,
        submitOutcomeUnknownAt: null,
        pollAttempts: 0,
        nextPollAt: now + FIRST_POLL_AFTER_MS,
      },
    })
    if (result !== 'applied') log.warn('application moved on while it was being submitted', { applicationId: app.id, instanceId })
    log.info('application submitted to DingTalk', { applicationId: app.id, instanceId, attempt })
    return { status: 'pending_approval', instanceId }
  } catch (thrown) {
    const error = asDingTalkError(thrown)
    const code = codeOf(error)
    // An answer (a refusal, a 5xx, no proxy) means DingTalk made no approval: the slot goes back.
    // A lost answer keeps it, since the approval may exist; so does a create that succeeded.
    const noApproval =
      !maybeCreated ||
      thrown instanceof DingTalkRejectedError ||
      (thrown instanceof DingTalkUnavailableError && !(thrown instanceof DingTalkOutcomeUnknownError))
    if (slot && noApproval) {
      await releaseSubmitSlot(db, slot).catch((err) => log.error('giving a submission slot back failed', errorFields(err)))
    }
    // The one-day clock starts when the application may go, not while a budget held it back.
    const since = Math.max(app.createdAt, app.submitDeferredUntil ?? 0)
    const giveUp =
      error instanceof DingTalkRejectedError ? attempt >= SUBMIT_REJECTED_MAX_ATTEMPTS : now - since >= SUBMIT_GIVE_UP_AFTER_MS
    const lastError = `${code}: ${error.message}`.slice(0, 500)
    if (error instanceof DingTalkOutcomeUnknownError && !giveUp) {
      await recordSubmitOutcomeUnknown(db, app.id, { nextSubmitAt: now + config.submitAdoptAfterMs, lastError, now })
      await recordNote(db, { applicationId: app.id, type: 'dingtalk.submit_outcome_unknown', source: deps.source, now, data: { code, attempt } })
      log.warn('DingTalk create outcome unknown; will search before creating again', { applicationId: app.id, code })
      return { status: 'submitted', error }
    }
    if (error instanceof EgressUnavailableError && !giveUp) {
      // No proxy relayed: nothing reached DingTalk, the back-off does not grow (retry every run).
      await recordSubmitFailure(db, app.id, { attempts: app.submitAttempts, nextSubmitAt: now, lastError, now })
      await suspectMissedPush(db, now)
      log.warn('no egress proxy relayed the submission; will retry next run', { applicationId: app.id, code })
      return { status: 'submitted', error }
    }
    if (giveUp) {
      await applyTransition(db, {
        applicationId: app.id,
        from: 'submitted',
        to: 'failed',
        type: 'dingtalk.submit_gave_up',
        source: deps.source,
        now,
        data: { code, attempts: attempt },
        set: { submitAttempts: attempt, nextSubmitAt: null, lastError },
      }, {
        // With the transition or not at all: a person hears of every failed application once.
        after: (eventId) =>
          raiseAlertStatements(deps, {
            code: 'APPLICATION_FAILED',
            subject: app.id,
            now,
            whenEvent: eventId,
            details: { application: app.id, step: 'submitting to DingTalk', attempts: attempt, lastError },
          }),
      })
      log.error('application failed, DingTalk submission given up; alerted', { applicationId: app.id, code, attempts: attempt })
      return { status: 'failed', error }
    }
    await recordSubmitFailure(db, app.id, { attempts: attempt, nextSubmitAt: now + submitDelay(attempt), lastError, now })
    await recordNote(db, { applicationId: app.id, type: 'dingtalk.submit_failed', source: deps.source, now, data: { code, attempt } })
    const fields = { applicationId: app.id, code, attempt, ...(error.cause ? errorFields(error.cause) : {}) }
    if (error instanceof DingTalkRejectedError) log.error('DingTalk rejected the submission; will retry', fields)
    else log.warn('DingTalk unavailable; will retry', fields)
    return { status: 'submitted', error }
  }
}

/** Over a budget: kept (status stays `submitted`), due when the window reopens, noted, alert raised. */
async function holdBack(deps: SubmitDeps, app: Application, refusal: CapState): Promise<SubmitOutcome> {
  const { db, config, log, now } = deps
  await deferSubmissions(db, refusal, { id: app.id }, now, deps.source)
  await raiseCapAlert({ db, config, log }, refusal, now)
  log.warn('submission held back by a budget', { applicationId: app.id, cap: refusal.cap, limit: refusal.limit, used: refusal.used, retryAt: refusal.retryAt })
  return { status: 'submitted', error: null, deferred: refusal }
}
