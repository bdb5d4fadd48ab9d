// Client-side checks of the apply form, using the server's field codes so that a message comes
// from one table whether the browser or the worker found the problem. Pure: no DOM, no Vue.
import type { ApplicationInput, ProductConfig } from './api.ts'
import type { Locale } from './i18n.ts'

export type FieldName =
  | 'name'
  | 'company'
  | 'email'
  | 'phone'
  | 'featureCode'
  | 'quantity'
  | 'validityDays'
  | 'note'

export const FIELDS: readonly FieldName[] = [
  'name',
  'company',
  'email',
  'phone',
  'featureCode',
  'quantity',
  'validityDays',
  'note',
]

export type FieldErrorCode =
  | 'REQUIRED'
  | 'TOO_LONG'
  | 'INVALID_EMAIL'
  | 'INVALID_FORMAT'
  | 'OUT_OF_RANGE'
  | 'NOT_ALLOWED'

export type FieldErrors = Partial<Record<FieldName, string>>

/** What the form holds while the customer types (quantity as typed). */
export interface ApplicationDraft {
  name: string
  company: string
  email: string
  phone: string
  featureCode: string
  quantity: string
  validityDays: number | null
  note: string
}

export type ValidationRules = Pick<
  ProductConfig,
  'validityDays' | 'quantity' | 'featureCodePattern'
>

// The worker's limits (worker/src/validation.ts LIMITS); a test keeps the two in step.
export const MAX_LENGTH = { name: 100, company: 200, email: 254, phone: 32, note: 1000 } as const

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/
const PHONE = /^\+?[0-9(][0-9 ()-]{3,38}$/
const INTEGER = /^\d+$/

/** Feature codes are machine strings: whitespace from wrapped copies is never part of them. */
export function normalizeFeatureCode(value: string): string {
  return value.replace(/\s+/g, '')
}

export function validateField(
  field: FieldName,
  draft: ApplicationDraft,
  rules: ValidationRules,
): FieldErrorCode | null {
  switch (field) {
    case 'name':
    case 'company':
      return text(draft[field], MAX_LENGTH[field], true)
    case 'email': {
      const value = draft.email.trim()
      return text(value, MAX_LENGTH.email, true) ?? (EMAIL.test(value) ? null : 'INVALID_EMAIL')
    }
    case 'phone': {
      const value = draft.phone.trim()
      if (!value) return null
      return text(value, MAX_LENGTH.phone, false) ?? (PHONE.test(value) ? null : 'INVALID_FORMAT')
    }
    case 'note':
      return text(draft.note, MAX_LENGTH.note, false)
    case 'featureCode': {
      const value = normalizeFeatureCode(draft.featureCode)
      if (!value) return 'REQUIRED'
      const pattern = compilePattern(rules.featureCodePattern)
      return pattern && !pattern.test(value) ? 'INVALID_FORMAT' : null
    }
    case 'quantity': {
      const value = draft.quantity.trim()
      if (!value) return 'REQUIRED'
      if (!INTEGER.test(value)) return 'INVALID_FORMAT'
      const n = Number(value)
      return n < rules.quantity.min || n > rules.quantity.max ? 'OUT_OF_RANGE' : null
    }
    case 'validityDays':
      if (draft.validityDays === null) return 'REQUIRED'
      return rules.validityDays.includes(draft.validityDays) ? null : 'NOT_ALLOWED'
  }
}

export function validateDraft(draft: ApplicationDraft, rules: ValidationRules): FieldErrors {
  const errors: FieldErrors = {}
  for (const field of FIELDS) {
    const code = validateField(field, draft, rules)
    if (code) errors[field] = code
  }
  return errors
}

/** The request body for a draft that passed validateDraft; empty optional fields are left out. */
export function toApplicationInput(
  draft: ApplicationDraft,
  context: { locale: Locale; product: string | null },
): ApplicationInput {
  const input: ApplicationInput = {
    name: draft.name.trim(),
    company: draft.company.trim(),
    email: draft.email.trim(),
    featureCode: normalizeFeatureCode(draft.featureCode),
    quantity: Number(draft.quantity.trim()),
    validityDays: draft.validityDays ?? 0,
    locale: context.locale,
  }
  const phone = draft.phone.trim()
  const note = draft.note.trim()
  if (phone) input.phone = phone
  if (note) input.note = note
  if (context.product) input.product = context.product
  return input
}

/**
 * The config's pattern, anchored to the whole value. An unusable pattern yields null: the worker
 * checks the code anyway, so the page must not block a customer on a pattern it cannot read.
 */
export function compilePattern(source: string): RegExp | null {
  if (!source) return null
  try {
    return new RegExp(`^(?:${source})$`)
  } catch {
    return null
  }
}

function text(value: string, max: number, required: boolean): FieldErrorCode | null {
  const trimmed = value.trim()
  if (!trimmed) return required ? 'REQUIRED' : null
  return [...trimmed].length > max ? 'TOO_LONG' : null
}
