// The body every console action takes (docs/api.md, "Admin API"): a reason (3–500 characters), an
// optional idempotency key, and the action's own fields; 400 VALIDATION_FAILED names each bad one.
import { compactFeatureCode, isValidFeatureCode, MAX_FEATURE_CODE_LENGTH } from '../../../../license/src/index.ts'
import type { ActionInput, ReissueInput } from '../../actions/action.ts'
import type { Config } from '../../config.ts'
import { ValidationError } from '../../errors.ts'
import { isEmail, type FieldCode } from '../../validation.ts'

export const REASON = { min: 3, max: 500 } as const
const KEY = /^[A-Za-z0-9_-]{1,128}$/
// C0/C1 controls; a reason may keep line breaks.
const CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/

/** Reads `{ reason, idempotencyKey?, email? }`; `email` only where `allowEmail`, else NOT_ALLOWED. */
export function readActionInput(body: Record<string, unknown>, options: { allowEmail?: boolean } = {}): ActionInput {
  const fields: Record<string, FieldCode> = {}
  const allowed = new Set(['reason', 'idempotencyKey', ...(options.allowEmail ? ['email'] : [])])
  for (const key of Object.keys(body)) if (!allowed.has(key)) fields[key] = 'NOT_ALLOWED'

  let reason = ''
  if (body.reason === undefined || body.reason === null || (typeof body.reason === 'string' && body.reason.trim() === '')) fields.reason = 'REQUIRED'
  else if (typeof body.reason !== 'string') fields.reason = 'INVALID_FORMAT'
  else {
    reason = body.reason.trim()
    const length = [...reason].length
    if (length < REASON.min) fields.reason = 'TOO_SHORT'
    else if (length > REASON.max) fields.reason = 'TOO_LONG'
    else if (CONTROL.test(reason)) fields.reason = 'INVALID_FORMAT'
  }

  let idempotencyKey: string | null = null
  if (body.idempotencyKey !== undefined && body.idempotencyKey !== null) {
    if (typeof body.idempotencyKey === 'string' && KEY.test(body.idempotencyKey)) idempotencyKey = body.idempotencyKey
    else fields.idempotencyKey = 'INVALID_FORMAT'
  }

  let email: string | null = null
  if (options.allowEmail && body.email !== undefined && body.email !== null) {
    if (typeof body.email !== 'string') fields.email = 'INVALID_FORMAT'
    else if (body.email.trim().length > 254) fields.email = 'TOO_LONG'
    else if (!isEmail(body.email.trim())) fields.email = 'INVALID_EMAIL'
    else email = body.email.trim()
  }

  if (Object.keys(fields).length > 0) throw new ValidationError(fields)
  return { reason, idempotencyKey, email }
}

/**
 * Reads a Reissue: `{ reason, idempotencyKey?, featureCode?, quantity? }`, the corrections checked
 * by the apply form's rules (the configured pattern and quantity range). Absent means unchanged.
 */
export function readReissueInput(body: Record<string, unknown>, rules: Pick<Config, 'quantity' | 'featureCodePattern'>): ReissueInput {
  const { featureCode: rawCode, quantity: rawQuantity, ...rest } = body
  const fields: Record<string, FieldCode> = {}
  let base: ActionInput | null = null
  try {
    base = readActionInput(rest)
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    Object.assign(fields, err.fields)
  }
  let featureCode: string | null = null
  if (rawCode !== undefined && rawCode !== null) {
    const compact = typeof rawCode === 'string' ? compactFeatureCode(rawCode) : null
    if (compact === null) fields.featureCode = 'INVALID_FORMAT'
    else if (compact === '') fields.featureCode = 'REQUIRED'
    else if (compact.length > MAX_FEATURE_CODE_LENGTH) fields.featureCode = 'TOO_LONG'
    else if (!rules.featureCodePattern.test(compact) || !isValidFeatureCode(compact)) fields.featureCode = 'INVALID_FORMAT'
    else featureCode = compact
  }
  let quantity: number | null = null
  if (rawQuantity !== undefined && rawQuantity !== null) {
    if (typeof rawQuantity !== 'number' || !Number.isSafeInteger(rawQuantity)) fields.quantity = 'INVALID_FORMAT'
    else if (rawQuantity < rules.quantity.min || rawQuantity > rules.quantity.max) fields.quantity = 'OUT_OF_RANGE'
    else quantity = rawQuantity
  }
  if (Object.keys(fields).length > 0 || !base) throw new ValidationError(fields)
  return { ...base, featureCode, quantity }
}
