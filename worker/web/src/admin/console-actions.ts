// Which operator actions the console offers for an application, mirroring the worker's rules
// (worker/src/actions/; docs/api.md, "Admin API (actions)"): the worker stays the authority and
// its refusal is shown. Also the checks and the body of an action's request. Pure: `now` is passed.
import type { MessageParams } from '../i18n.ts'
import type { ActionAnswer, ApplicationDetail, ConsoleApplication, ConsoleLicense, Staff } from './console-api.ts'
import { isConsoleMessageKey, type ConsoleMessageKey } from './console-messages.ts'

export type ApplicationAction = 'resend' | 'resubmit' | 'withdraw' | 'reissue'
export type ActionKind = ApplicationAction | 'revoke'

/** The reason's bounds, in characters after trimming (action-input.ts). */
export const REASON = { min: 3, max: 500 } as const
/** A submit due within this long, or being sent now, is not stuck (the worker's LEASE_MS). */
export const LEASE_MS = 2 * 60_000

const RESENDABLE = new Set(['issued', 'delivered', 'failed'])

/** Whether the worker answers this license with the revoke fields (the revoke API is there). */
export const knowsRevocation = (license: ConsoleLicense): boolean => 'revokedAt' in license
export const isRevoked = (license: ConsoleLicense): boolean => license.revokedAt !== undefined && license.revokedAt !== null

/** The newest license not revoked, if any. */
export function currentLicense(licenses: readonly ConsoleLicense[]): ConsoleLicense | null {
  for (let i = licenses.length - 1; i >= 0; i--) if (!isRevoked(licenses[i])) return licenses[i]
  return null
}

/** Whether a create may be under way right now: a lost create, or a held lease (WITHDRAW_SUBMIT_IN_FLIGHT). */
function mayBeBeingCreated(app: ConsoleApplication, now: number): boolean {
  if (app.submitOutcomeUnknownAt !== null) return true
  if (app.status !== 'submitted') return false
  return app.nextSubmitAt !== null && app.nextSubmitAt > now && app.nextSubmitAt <= now + LEASE_MS
}

/** The application's actions this person may take now, in the order the page shows them. */
export function allowedActions(detail: Pick<ApplicationDetail, 'application' | 'licenses'>, role: Staff['role'] | null, now: number): ApplicationAction[] {
  if (role !== 'operator') return []
  const { application: app, licenses } = detail
  const license = currentLicense(licenses)
  // A reissue replaces the newest license, revoked or not (a license revoked by mistake is reissued).
  const latest = licenses.at(-1)
  const actions: ApplicationAction[] = []
  if (license && RESENDABLE.has(app.status)) actions.push('resend')
  if (latest && RESENDABLE.has(app.status) && 'featureCode' in latest && 'quantity' in latest) actions.push('reissue')
  if (app.dingtalkInstanceId === null) {
    if (app.status === 'failed' && licenses.length === 0) actions.push('resubmit')
    else if (app.status === 'submitted' && app.nextSubmitAt !== null && app.nextSubmitAt > now + LEASE_MS) actions.push('resubmit')
  }
  if ((app.status === 'submitted' || app.status === 'failed') && !mayBeBeingCreated(app, now)) actions.push('withdraw')
  // Awaiting approval: Withdraw terminates its DingTalk instance first.
  else if (app.status === 'pending_approval' && app.dingtalkInstanceId !== null) actions.push('withdraw')
  return actions
}

/** Whether this license row offers Revoke: an operator, a worker that knows revocation, not revoked yet. */
export const canRevoke = (license: ConsoleLicense, role: Staff['role'] | null): boolean =>
  role === 'operator' && knowsRevocation(license) && !isRevoked(license)

export type ActionFields = { reason: string; email?: string; featureCode?: string; quantity?: string }
export type ActionBody = { reason: string; idempotencyKey: string; email?: string; featureCode?: string; quantity?: number }
/** A field's problem, as the worker's field codes name them (VALIDATION_FAILED's `fields`). */
export type FieldProblems = Partial<Record<'reason' | 'email' | 'featureCode' | 'quantity' | 'form', string>>

// As the apply page checks it (validation.ts); the worker's check decides.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/

/**
 * The request body of `kind` from the dialog's fields, or the problems to show without sending.
 * Reissue sends only what changed from `license`; nothing changed is REISSUE_NOTHING_CHANGED.
 */
export function actionBody(kind: ActionKind, fields: ActionFields, idempotencyKey: string, license?: ConsoleLicense | null): { body: ActionBody } | { problems: FieldProblems } {
  const problems: FieldProblems = {}
  const reason = fields.reason.trim()
  const length = [...reason].length
  if (length === 0) problems.reason = 'REQUIRED'
  else if (length < REASON.min) problems.reason = 'TOO_SHORT'
  else if (length > REASON.max) problems.reason = 'TOO_LONG'
  const body: ActionBody = { reason, idempotencyKey }

  if (kind === 'resend') {
    const email = fields.email?.trim() ?? ''
    if (email.length > 254) problems.email = 'TOO_LONG'
    else if (email !== '' && !EMAIL.test(email)) problems.email = 'INVALID_EMAIL'
    else if (email !== '') body.email = email
  }

  if (kind === 'reissue') {
    const featureCode = fields.featureCode?.trim() ?? ''
    const quantityText = fields.quantity?.trim() ?? ''
    const quantity = Number(quantityText)
    if (featureCode === '') problems.featureCode = 'REQUIRED'
    if (quantityText === '') problems.quantity = 'REQUIRED'
    else if (!/^[0-9]+$/.test(quantityText) || !Number.isSafeInteger(quantity) || quantity < 1) problems.quantity = 'INVALID_FORMAT'
    if (!problems.featureCode && featureCode !== license?.featureCode) body.featureCode = featureCode
    if (!problems.quantity && quantity !== license?.quantity) body.quantity = quantity
    if (!problems.featureCode && !problems.quantity && body.featureCode === undefined && body.quantity === undefined) problems.form = 'REISSUE_NOTHING_CHANGED'
  }
  return Object.keys(problems).length > 0 ? { problems } : { body }
}

/** The request of `kind`: where it goes. Revoke names the license, every other the application. */
export function actionPath(kind: ActionKind, applicationId: string, licenseId?: string): string {
  if (kind === 'revoke') return `/api/admin/licenses/${encodeURIComponent(licenseId ?? '')}/revoke`
  return `/api/admin/applications/${encodeURIComponent(applicationId)}/${kind}`
}

type Translate = (key: ConsoleMessageKey, params?: MessageParams) => string

/** The worker's refusal in words: a known code's text, else the code itself in a sentence. */
export function actionErrorText(code: string, t: Translate): string {
  const key = `actionError.${code}`
  return isConsoleMessageKey(key) ? t(key, { code }) : t('actionError.fallback', { code })
}

/** A field's problem (a worker field code such as TOO_SHORT) in words; an unknown code as itself. */
export function fieldErrorText(code: string, t: Translate): string {
  const key = `fieldError.${code}`
  return isConsoleMessageKey(key) ? t(key, { min: REASON.min, max: REASON.max }) : code
}

/** What the status line says after the worker accepted `kind`. */
export function doneText(kind: ActionKind, answer: ActionAnswer, t: Translate): string {
  if (answer.duplicate) return t('done.duplicate')
  if (kind === 'resend') return t('done.resend', { to: answer.to ?? '' })
  if (kind === 'revoke' || kind === 'reissue') return t(`done.${kind}`, { id: answer.licenseId ?? '' })
  return t(`done.${kind}`)
}
