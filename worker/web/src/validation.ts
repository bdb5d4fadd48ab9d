// Client-side checks of the apply form: the worker's own schema (worker/src/contract), so the page
// accepts exactly what the server accepts and a message comes from one table whoever found the
// problem. Pure: no DOM, no Vue.
import {
  LIMITS,
  checkApplication,
  type ApplicationRules,
  type FieldCode,
} from '../../src/contract/application.ts'
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

export type FieldErrorCode = FieldCode

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

/** The limits the worker enforces, for `maxlength` and the messages. */
export const MAX_LENGTH = LIMITS

// The product comes from the link, not the form: the worker checks it (NOT_ALLOWED).
const ANY_PRODUCT = { has: () => true }

function schemaRules(rules: ValidationRules): ApplicationRules {
  return {
    products: ANY_PRODUCT,
    defaultProduct: '',
    validityDays: rules.validityDays,
    quantity: rules.quantity,
    featureCodePattern: compilePattern(rules.featureCodePattern),
    defaultLocale: 'en',
  }
}

function check(draft: ApplicationDraft, rules: ValidationRules, locale: Locale = 'en') {
  return checkApplication({ ...draft, locale }, schemaRules(rules))
}

export function validateField(
  field: FieldName,
  draft: ApplicationDraft,
  rules: ValidationRules,
): FieldErrorCode | null {
  const result = check(draft, rules)
  return result.ok ? null : (result.fields[field] ?? null)
}

export function validateDraft(draft: ApplicationDraft, rules: ValidationRules): FieldErrors {
  const result = check(draft, rules)
  if (result.ok) return {}
  const errors: FieldErrors = {}
  for (const field of FIELDS) if (result.fields[field]) errors[field] = result.fields[field]
  return errors
}

/**
 * The request body for a draft that passed validateDraft, in the schema's normalised form
 * (trimmed, half-width digits, compacted feature code); empty optional fields are left out.
 */
export function toApplicationInput(
  draft: ApplicationDraft,
  context: { locale: Locale; product: string | null },
  rules: ValidationRules,
): ApplicationInput {
  const result = check(draft, rules, context.locale)
  if (!result.ok) throw new Error('toApplicationInput needs a draft that passed validateDraft')
  // The zone is the browser's, added by submitApplication (api.ts), not a form field.
  const { phone, note, product: _product, timeZone: _timeZone, ...required } = result.value
  return {
    ...required,
    ...(phone ? { phone } : {}),
    ...(note ? { note } : {}),
    ...(context.product ? { product: context.product } : {}),
  }
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
