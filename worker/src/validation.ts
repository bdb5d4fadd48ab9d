// Validation of a license application (POST /api/applications). Pure: rules in, coded field
// errors out (docs/api.md lists the codes; the page maps them to messages).
import { MAX_FEATURE_CODE_LENGTH, compactFeatureCode, isValidFeatureCode } from '../../license/src/index.ts'
import { LOCALES, type Locale } from './config.ts'
import { isTimeZone } from './time-zone.ts'

export type FieldCode = 'REQUIRED' | 'TOO_SHORT' | 'TOO_LONG' | 'INVALID_EMAIL' | 'INVALID_FORMAT' | 'OUT_OF_RANGE' | 'NOT_ALLOWED'

export const FIELD_CODES: readonly FieldCode[] = ['REQUIRED', 'TOO_SHORT', 'TOO_LONG', 'INVALID_EMAIL', 'INVALID_FORMAT', 'OUT_OF_RANGE', 'NOT_ALLOWED']

export type ValidationRules = {
  products: ReadonlySet<string> | ReadonlyMap<string, unknown>
  defaultProduct: string
  validityDays: readonly number[]
  quantity: { min: number; max: number }
  featureCodePattern: RegExp
  /** Used when the body names no locale (e.g. from Accept-Language). */
  defaultLocale: Locale
}

export type ApplicationInput = {
  name: string
  company: string
  email: string
  phone: string | null
  featureCode: string
  quantity: number
  validityDays: number
  note: string | null
  locale: Locale
  /** The applicant's IANA time zone (time-zone.ts); null when the body sent none. */
  timeZone: string | null
  product: string
}

export type ValidationResult = { ok: true; value: ApplicationInput } | { ok: false; fields: Record<string, FieldCode> }

export const LIMITS = { name: 100, company: 200, email: 254, phone: 32, note: 1000 } as const

// C0/C1 controls; the note may keep tabs and line breaks.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const CONTROL_EXCEPT_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/
// Pragmatic address check: one @, no spaces or characters that break headers, a dot in the domain.
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"_]+\.[^\s@<>()[\]\\,;:"_]{2,}$/
/** The apply form's address check, for the console's corrected address too. */
export const isEmail = (value: string): boolean => value.length <= LIMITS.email && EMAIL.test(value)
const PHONE = /^\+?[0-9 ()./-]{3,32}$/

type Fields = Record<string, FieldCode>

function text(fields: Fields, field: string, raw: unknown, max: number, required: boolean, controls = CONTROL): string | null {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    if (required) fields[field] = 'REQUIRED'
    return null
  }
  if (typeof raw !== 'string') {
    fields[field] = 'INVALID_FORMAT'
    return null
  }
  const value = raw.trim()
  // Characters, not UTF-16 units, as the page counts them.
  if ([...value].length > max) fields[field] = 'TOO_LONG'
  else if (controls.test(value)) fields[field] = 'INVALID_FORMAT'
  return value
}

function integer(fields: Fields, field: string, raw: unknown): number | null {
  if (raw === undefined || raw === null || raw === '') {
    fields[field] = 'REQUIRED'
    return null
  }
  const value = typeof raw === 'string' && /^\s*\d{1,12}\s*$/.test(raw) ? Number(raw) : raw
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    fields[field] = 'INVALID_FORMAT'
    return null
  }
  return value
}

export function validateApplication(body: Record<string, unknown>, rules: ValidationRules): ValidationResult {
  const fields: Fields = {}
  const name = text(fields, 'name', body.name, LIMITS.name, true)
  const company = text(fields, 'company', body.company, LIMITS.company, true)
  const email = text(fields, 'email', body.email, LIMITS.email, true)
  if (email !== null && !fields.email && !EMAIL.test(email)) fields.email = 'INVALID_EMAIL'
  const phone = text(fields, 'phone', body.phone, LIMITS.phone, false)
  if (phone !== null && !fields.phone && (!PHONE.test(phone) || (phone.match(/\d/g) ?? []).length < 3)) {
    fields.phone = 'INVALID_FORMAT'
  }
  const note = text(fields, 'note', body.note, LIMITS.note, false, CONTROL_EXCEPT_BREAKS)

  let featureCode = text(fields, 'featureCode', body.featureCode, MAX_FEATURE_CODE_LENGTH, true)
  if (featureCode !== null && !fields.featureCode) {
    // Stored and licensed as the product reports it, less the whitespace of wrapped copies
    // (docs/license-format.md, "Feature codes"); verifiers compare normalised forms.
    const compact = compactFeatureCode(featureCode)
    if (!rules.featureCodePattern.test(compact) || !isValidFeatureCode(compact)) fields.featureCode = 'INVALID_FORMAT'
    else featureCode = compact
  }

  const quantity = integer(fields, 'quantity', body.quantity)
  if (quantity !== null && (quantity < rules.quantity.min || quantity > rules.quantity.max)) fields.quantity = 'OUT_OF_RANGE'
  const validityDays = integer(fields, 'validityDays', body.validityDays)
  if (validityDays !== null && !rules.validityDays.includes(validityDays)) fields.validityDays = 'NOT_ALLOWED'

  let locale: Locale = rules.defaultLocale
  if (body.locale !== undefined && body.locale !== null && body.locale !== '') {
    if ((LOCALES as readonly unknown[]).includes(body.locale)) locale = body.locale as Locale
    else fields.locale = 'NOT_ALLOWED'
  }
  const timeZone = body.timeZone === undefined || body.timeZone === null || body.timeZone === '' ? null : body.timeZone
  if (timeZone !== null && !isTimeZone(timeZone)) fields.timeZone = 'NOT_ALLOWED'
  let product = rules.defaultProduct
  if (body.product !== undefined && body.product !== null && body.product !== '') {
    if (typeof body.product === 'string' && rules.products.has(body.product)) product = body.product
    else fields.product = 'NOT_ALLOWED'
  }

  if (Object.keys(fields).length > 0) return { ok: false, fields }
  return {
    ok: true,
    value: {
      name: name as string,
      company: company as string,
      email: email as string,
      phone,
      featureCode: featureCode as string,
      quantity: quantity as number,
      validityDays: validityDays as number,
      note,
      locale,
      timeZone: timeZone as string | null,
      product,
    },
  }
}

/** zh-CN when the browser prefers Chinese, else en. */
export function localeFromAcceptLanguage(header: string | undefined): Locale {
  return header && /^\s*zh\b/i.test(header) ? 'zh-CN' : 'en'
}
