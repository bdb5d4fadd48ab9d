import { describe, expect, it } from 'vitest'
import { translate } from '../i18n.ts'
import { actionBody, actionErrorText, actionPath, allowedActions, canRevoke, currentLicense, doneText, fieldErrorText, LEASE_MS } from './console-actions.ts'
import type { ApplicationStatus, ConsoleApplication, ConsoleLicense } from './console-api.ts'
import { CONSOLE_MESSAGES, type ConsoleMessageKey } from './console-messages.ts'

const NOW = Date.UTC(2026, 11, 2, 9, 0)
const t = (key: ConsoleMessageKey, params?: Record<string, string | number>) => translate(CONSOLE_MESSAGES, 'en', key, params)

function app(status: ApplicationStatus, overrides: Partial<ConsoleApplication> = {}): ConsoleApplication {
  return {
    id: 'LD-1', product: 'p', featureCode: 'ABCD', quantity: 1, validityDays: 30, name: 'n', company: 'c', email: 'a@example.com',
    phone: null, note: null, locale: 'en', status, dingtalkInstanceId: null, submitAttempts: 0, nextSubmitAt: null, lastError: null,
    pollAttempts: 0, nextPollAt: null, submitOutcomeUnknownAt: null, submitDeferredUntil: null, createdAt: NOW, updatedAt: NOW,
    ...overrides,
  } as ConsoleApplication
}
const LICENSE: ConsoleLicense = { id: 'LIC-1', kid: 'k', nbf: 1, exp: 2, issuedAt: NOW }
const REVOCABLE: ConsoleLicense = { ...LICENSE, featureCode: 'ABCD', quantity: 1, revokedAt: null, revokedBy: null, revocationReason: null, supersedes: null, supersededBy: null }

describe('which actions the console offers', () => {
  it('offers nothing to a viewer, or before the role is known', () => {
    const detail = { application: app('delivered', { dingtalkInstanceId: 'i' }), licenses: [LICENSE] }
    expect(allowedActions(detail, 'viewer', NOW)).toEqual([])
    expect(allowedActions(detail, null, NOW)).toEqual([])
    expect(canRevoke(REVOCABLE, 'viewer')).toBe(false)
  })

  it('offers Resend once the license is issued, and Reissue only when the worker reports the license terms', () => {
    for (const status of ['issued', 'delivered'] as const) {
      expect(allowedActions({ application: app(status, { dingtalkInstanceId: 'i' }), licenses: [LICENSE] }, 'operator', NOW), status).toEqual(['resend'])
      expect(allowedActions({ application: app(status, { dingtalkInstanceId: 'i' }), licenses: [REVOCABLE] }, 'operator', NOW), status).toEqual(['resend', 'reissue'])
    }
    expect(allowedActions({ application: app('approved', { dingtalkInstanceId: 'i' }), licenses: [] }, 'operator', NOW)).toEqual([])
  })

  it('offers no Resend but a Reissue when the only license is revoked', () => {
    const revoked = { ...REVOCABLE, revokedAt: NOW, revokedBy: 'ops@x', revocationReason: 'r' }
    expect(currentLicense([revoked])).toBeNull()
    expect(allowedActions({ application: app('delivered', { dingtalkInstanceId: 'i' }), licenses: [revoked] }, 'operator', NOW)).toEqual(['reissue'])
    expect(canRevoke(revoked, 'operator')).toBe(false)
    expect(canRevoke(REVOCABLE, 'operator')).toBe(true)
    // Without the revoke API's fields there is no Revoke at all.
    expect(canRevoke(LICENSE, 'operator')).toBe(false)
  })

  it('offers Resubmit and Withdraw for a failed application that never reached DingTalk', () => {
    expect(allowedActions({ application: app('failed'), licenses: [] }, 'operator', NOW)).toEqual(['resubmit', 'withdraw'])
  })

  it('offers Resend and Withdraw, not Resubmit, for one that failed mailing its license', () => {
    expect(allowedActions({ application: app('failed', { dingtalkInstanceId: 'i' }), licenses: [LICENSE] }, 'operator', NOW)).toEqual(['resend', 'withdraw'])
  })

  it('offers Resubmit only for a submitted one stuck beyond the lease, and no Withdraw while a submit may be under way', () => {
    const stuck = app('submitted', { nextSubmitAt: NOW + LEASE_MS + 1 })
    expect(allowedActions({ application: stuck, licenses: [] }, 'operator', NOW)).toEqual(['resubmit', 'withdraw'])
    const leased = app('submitted', { nextSubmitAt: NOW + LEASE_MS })
    expect(allowedActions({ application: leased, licenses: [] }, 'operator', NOW)).toEqual([])
    const due = app('submitted', { nextSubmitAt: NOW - 1 })
    expect(allowedActions({ application: due, licenses: [] }, 'operator', NOW)).toEqual(['withdraw'])
    const lost = app('submitted', { nextSubmitAt: NOW + LEASE_MS * 10, submitOutcomeUnknownAt: NOW - 1 })
    expect(allowedActions({ application: lost, licenses: [] }, 'operator', NOW)).toEqual(['resubmit'])
  })

  it('offers Withdraw while awaiting approval (its instance is terminated), not while its create may be in flight', () => {
    expect(allowedActions({ application: app('pending_approval', { dingtalkInstanceId: 'i' }), licenses: [] }, 'operator', NOW)).toEqual(['withdraw'])
    expect(allowedActions({ application: app('submitted', { nextSubmitAt: NOW + 1000 }), licenses: [] }, 'operator', NOW)).toEqual([])
    expect(allowedActions({ application: app('pending_approval', { dingtalkInstanceId: 'i' }), licenses: [] }, 'viewer', NOW)).toEqual([])
  })

  it('offers nothing once decided without a license', () => {
    for (const status of ['approved', 'rejected', 'withdrawn'] as const) {
      expect(allowedActions({ application: app(status, { dingtalkInstanceId: 'i' }), licenses: [] }, 'operator', NOW), status).toEqual([])
    }
  })
})

describe('an action request', () => {
  it('trims the reason and sends the dialog key; a resend sends the corrected address only when given', () => {
    expect(actionBody('withdraw', { reason: '  duplicate request \n' }, 'k1')).toEqual({ body: { reason: 'duplicate request', idempotencyKey: 'k1' } })
    expect(actionBody('resend', { reason: 'typo', email: ' li@example.com ' }, 'k2')).toEqual({ body: { reason: 'typo', idempotencyKey: 'k2', email: 'li@example.com' } })
    expect(actionBody('resend', { reason: 'again', email: '' }, 'k3')).toEqual({ body: { reason: 'again', idempotencyKey: 'k3' } })
  })

  it('refuses a missing, short or long reason and a bad address before sending', () => {
    expect(actionBody('resubmit', { reason: '   ' }, 'k')).toEqual({ problems: { reason: 'REQUIRED' } })
    expect(actionBody('resubmit', { reason: ' ab ' }, 'k')).toEqual({ problems: { reason: 'TOO_SHORT' } })
    expect(actionBody('resubmit', { reason: 'x'.repeat(501) }, 'k')).toEqual({ problems: { reason: 'TOO_LONG' } })
    // Characters, not UTF-16 units: 500 emoji are fine.
    expect(actionBody('resubmit', { reason: '😀'.repeat(500) }, 'k')).toHaveProperty('body')
    expect(actionBody('resend', { reason: 'typo', email: 'not-an-address' }, 'k')).toEqual({ problems: { email: 'INVALID_EMAIL' } })
  })

  it('sends a reissue with only what changed, and refuses one where nothing did', () => {
    expect(actionBody('reissue', { reason: 'wrong code', featureCode: 'WXYZ', quantity: '1' }, 'k', REVOCABLE)).toEqual({ body: { reason: 'wrong code', idempotencyKey: 'k', featureCode: 'WXYZ' } })
    expect(actionBody('reissue', { reason: 'more seats', featureCode: 'ABCD', quantity: '5' }, 'k', REVOCABLE)).toEqual({ body: { reason: 'more seats', idempotencyKey: 'k', quantity: 5 } })
    expect(actionBody('reissue', { reason: 'nothing', featureCode: 'ABCD', quantity: '1' }, 'k', REVOCABLE)).toEqual({ problems: { form: 'REISSUE_NOTHING_CHANGED' } })
    expect(actionBody('reissue', { reason: 'bad', featureCode: '', quantity: '0' }, 'k', REVOCABLE)).toEqual({ problems: { featureCode: 'REQUIRED', quantity: 'INVALID_FORMAT' } })
  })

  it('goes to the application, or for Revoke to the license', () => {
    expect(actionPath('resend', 'LD-1')).toBe('/api/admin/applications/LD-1/resend')
    expect(actionPath('reissue', 'LD-1')).toBe('/api/admin/applications/LD-1/reissue')
    expect(actionPath('revoke', 'LD-1', 'LIC-9')).toBe('/api/admin/licenses/LIC-9/revoke')
  })
})

describe('what the console says about an action', () => {
  it('translates the known refusals and falls back to the code itself', () => {
    expect(actionErrorText('WITHDRAW_TOO_LATE', t)).toMatch(/already decided/)
    expect(actionErrorText('REISSUE_NOTHING_CHANGED', t)).toMatch(/change at least one/)
    expect(actionErrorText('LICENSE_SOMETHING_NEW', t)).toBe('The action was not done (LICENSE_SOMETHING_NEW).')
    expect(fieldErrorText('TOO_SHORT', t)).toBe('At least 3 characters.')
    expect(fieldErrorText('ODD_CODE', t)).toBe('ODD_CODE')
  })

  it('names a translation for every refusal code the worker has for these actions', () => {
    for (const code of ['RESEND_NOT_ISSUED', 'RESUBMIT_NOT_ALLOWED', 'WITHDRAW_NOT_ALLOWED', 'WITHDRAW_SUBMIT_IN_FLIGHT', 'WITHDRAW_TOO_LATE', 'WITHDRAW_RETRY_LATER', 'WITHDRAW_NOT_PERMITTED', 'DINGTALK_UNAVAILABLE', 'RESEND_LICENSE_REVOKED', 'REISSUE_NOT_ISSUED', 'REISSUE_NOTHING_CHANGED', 'REISSUE_EXPIRED', 'REISSUE_LICENSE_CHANGED', 'IDEMPOTENCY_KEY_REUSED', 'ROLE_OPERATOR_REQUIRED', 'CROSS_SITE_REFUSED', 'VALIDATION_FAILED', 'NOT_FOUND', 'NETWORK_ERROR']) {
      expect(actionErrorText(code, t), code).not.toContain(code)
    }
  })

  it('says what happened, and "already done" for a duplicate', () => {
    expect(doneText('resend', { duplicate: false, to: 'li@example.com' }, t)).toBe('The license is queued for li@example.com.')
    expect(doneText('resend', { duplicate: true, to: 'li@example.com' }, t)).toBe('Already done: nothing was repeated.')
    expect(doneText('revoke', { duplicate: false, licenseId: 'LIC-1' }, t)).toBe('License LIC-1 is revoked.')
    expect(doneText('withdraw', { duplicate: false }, t)).toBe('The application is withdrawn.')
  })
})
