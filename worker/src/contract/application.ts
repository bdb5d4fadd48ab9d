// The application body (POST /api/applications), written once: the worker validates requests with
// it (through @hono/standard-validator), the apply page checks the form with it. Pure valibot and
// the license format's feature-code rule: no worker globals, no DOM. Field codes: docs/api.md.
import * as v from 'valibot'
import { MAX_FEATURE_CODE_LENGTH, compactFeatureCode, isValidFeatureCode } from '../../../license/src/feature-code.ts'
import { LOCALES, type Locale } from '../shapes.ts'
import { isTimeZone } from '../time-zone.ts'
import { PICKUP_PATTERN } from './apply-link.ts'

export type FieldCode = 'REQUIRED' | 'TOO_SHORT' | 'TOO_LONG' | 'INVALID_EMAIL' | 'INVALID_FORMAT' | 'OUT_OF_RANGE' | 'NOT_ALLOWED' | 'CHECK_MISMATCH'
export const FIELD_CODES: readonly FieldCode[] = ['REQUIRED', 'TOO_SHORT', 'TOO_LONG', 'INVALID_EMAIL', 'INVALID_FORMAT', 'OUT_OF_RANGE', 'NOT_ALLOWED', 'CHECK_MISMATCH']

/** Characters (code points, as people count them), after trimming. */
export const LIMITS = { name: 100, company: 200, email: 254, phone: 32, featureCode: MAX_FEATURE_CODE_LENGTH, note: 1000 } as const

/** The configurable rules; everything else is fixed by this module. */
export type ApplicationRules = {
  products: { has(id: string): boolean }
  defaultProduct: string
  validityDays: readonly number[]
  quantity: { min: number; max: number }
  /** The deployment's FEATURE_CODE_PATTERN, or null when the page cannot compile it. */
  featureCodePattern: RegExp | null
  /** Used when the body names no locale (e.g. from Accept-Language). */
  defaultLocale: Locale
}

/** What a client sends: numbers may arrive as digit strings, optional fields may be left out. */
export type ApplicationBody = {
  name: string
  company: string
  email: string
  phone?: string | null
  featureCode: string
  quantity: number | string
  validityDays: number | string
  note?: string | null
  locale?: Locale
  product?: string
  /** The applicant's IANA time zone (time-zone.ts); the page sends the browser's. */
  timeZone?: string | null
  /** The QR's check value `c` of the feature code (docs/integration.md), when the link carried one. */
  featureCodeCheck?: string | null
  /** The license this application renews, with the renewal link's token (docs/renewal.md). */
  renews?: RenewalClaim | null
  /** The pickup's user code `p` of the link (docs/pickup.md), when the product polls for the license. */
  pickup?: string | null
}

/** A renewal link's license and token, as the page sends them back. */
export type RenewalClaim = { licenseId: string; token: string }

/** The validated, normalised application. */
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
  /** The applicant's IANA time zone; null when the body sent none. */
  timeZone: string | null
  product: string
  /** The QR's check value, lower-cased; the worker refuses a code it does not vouch for. */
  featureCodeCheck?: string | null
  /** The renewed license and its link's token; the worker checks both (renewal/check.ts). */
  renews?: RenewalClaim | null
  /** The pickup's user code, upper-cased without dashes; the worker binds the application to it. */
  pickup?: string | null
}

const RENEWAL_PART = /^[A-Za-z0-9_-]{1,128}$/
const isRenewalPart = (value: unknown): boolean => typeof value === 'string' && RENEWAL_PART.test(value)

const CHECK_VALUE = /^[0-9a-f]{6}$/i
// C0/C1 controls; the note may keep tabs and line breaks.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const CONTROL_EXCEPT_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/
// Pragmatic address check: one @, no spaces or characters that break headers, a dot in the domain.
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"_]+\.[^\s@<>()[\]\\,;:"_]{2,}$/
// A number as written in China: +86 / 0086 / a leading 0, groups split by spaces, dots, dashes,
// slashes or an area code in parentheses, then an extension: 转 801, 分机 801, ext. 801, x801, #801.
const PHONE = /^(?:\+|00)?[0-9(][0-9 ().\/-]*?(?:\s*(?:转|分机|ext\.?|x|#)\s*[0-9]{1,6})?$/i
const DIGITS = /^\d{1,12}$/

/** Full-width ASCII (０-９, Ａ-Ｚ, ＋, －, （）…) and the ideographic space, as ASCII: what IMEs type. */
export function toHalfWidth(value: string): string {
  return value.replace(/[\uff01-\uff5e]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ')
}

const charCount = (value: string): number => [...value].length
const isBlank = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
const codeOf = (code: FieldCode) => code

export const isEmail = (value: string): boolean => charCount(value) <= LIMITS.email && EMAIL.test(value)
export const isPhone = (value: string): boolean => PHONE.test(value) && (value.match(/\d/g) ?? []).length >= 3

function text(max: number, controls = CONTROL) {
  return v.pipe(
    v.string(codeOf('INVALID_FORMAT')),
    v.trim(),
    v.check((value) => charCount(value) <= max, codeOf('TOO_LONG')),
    v.check((value) => !controls.test(value), codeOf('INVALID_FORMAT')),
  )
}

/** A required member: missing, null or blank is REQUIRED (a missing key is reported by the object). */
function required<T extends v.GenericSchema<unknown, unknown>>(schema: T) {
  return v.pipe(v.unknown(), v.check((value) => !isBlank(value), codeOf('REQUIRED')), schema)
}

/** An optional member: left out, null or blank is null. */
function optional<T extends v.GenericSchema<string, string>>(schema: T) {
  return v.optional(
    v.pipe(
      v.unknown(),
      v.transform((value) => (isBlank(value) ? null : value)),
      v.nullable(schema),
    ),
    null,
  )
}

function integer() {
  return required(
    v.pipe(
      v.union([v.number(), v.string()], codeOf('INVALID_FORMAT')),
      v.transform((value) => (typeof value === 'string' && DIGITS.test(toHalfWidth(value).trim()) ? Number(toHalfWidth(value).trim()) : value)),
      v.check((value): boolean => typeof value === 'number' && Number.isSafeInteger(value), codeOf('INVALID_FORMAT')),
      v.transform((value) => value as number),
    ),
  )
}

/** The schema of an application under the deployment's rules. */
export function applicationSchema(rules: ApplicationRules) {
  const pattern = rules.featureCodePattern
  return v.object(
    {
      name: required(text(LIMITS.name)),
      company: required(text(LIMITS.company)),
      email: required(v.pipe(text(LIMITS.email), v.check((value) => EMAIL.test(value), codeOf('INVALID_EMAIL')))),
      phone: optional(
        v.pipe(
          v.string(),
          v.transform((value) => toHalfWidth(value).trim()),
          v.check((value) => charCount(value) <= LIMITS.phone, codeOf('TOO_LONG')),
          v.check(isPhone, codeOf('INVALID_FORMAT')),
        ),
      ),
      // Stored and licensed as the product reports it, less the whitespace of wrapped copies
      // (docs/license-format.md, "Feature codes"); verifiers compare normalised forms.
      featureCode: required(
        v.pipe(
          v.string(codeOf('INVALID_FORMAT')),
          v.transform((value) => compactFeatureCode(toHalfWidth(value))),
          v.check((value) => value.length <= LIMITS.featureCode, codeOf('TOO_LONG')),
          v.check((value) => isValidFeatureCode(value) && (pattern === null || pattern.test(value)), codeOf('INVALID_FORMAT')),
        ),
      ),
      quantity: v.pipe(
        integer(),
        v.check((value) => value >= rules.quantity.min && value <= rules.quantity.max, codeOf('OUT_OF_RANGE')),
      ),
      validityDays: v.pipe(
        integer(),
        v.check((value) => rules.validityDays.includes(value), codeOf('NOT_ALLOWED')),
      ),
      note: optional(text(LIMITS.note, CONTROL_EXCEPT_BREAKS)),
      locale: v.optional(
        v.pipe(
          v.unknown(),
          v.check((value) => isBlank(value) || (LOCALES as readonly unknown[]).includes(value), codeOf('NOT_ALLOWED')),
          v.transform((value) => (isBlank(value) ? rules.defaultLocale : (value as Locale))),
        ),
        rules.defaultLocale,
      ),
      // An IANA zone Intl knows; an offset such as +08:00 is refused (time-zone.ts).
      timeZone: v.optional(
        v.pipe(
          v.unknown(),
          v.check((value) => isBlank(value) || isTimeZone(value), codeOf('NOT_ALLOWED')),
          v.transform((value) => (isBlank(value) ? null : (value as string))),
        ),
        null,
      ),
      // Six hex digits; whether they match the code needs SHA-256, which the worker checks after this.
      featureCodeCheck: v.optional(
        v.pipe(
          v.unknown(),
          v.check((value) => isBlank(value) || (typeof value === 'string' && CHECK_VALUE.test(value)), codeOf('INVALID_FORMAT')),
          v.transform((value) => (isBlank(value) ? null : (value as string).toLowerCase())),
        ),
        null,
      ),
      // The renewal link's license and token; whether the token opens the license is the worker's check.
      renews: v.optional(
        v.pipe(
          v.unknown(),
          v.check(
            (value) =>
              value === undefined || value === null ||
              (typeof value === 'object' && !Array.isArray(value) &&
                isRenewalPart((value as RenewalClaim).licenseId) && isRenewalPart((value as RenewalClaim).token)),
            codeOf('INVALID_FORMAT'),
          ),
          v.transform((value) => (value ? { licenseId: (value as RenewalClaim).licenseId, token: (value as RenewalClaim).token } : null)),
        ),
        null,
      ),
      // A pickup's user code as the link carries it; whether it exists is the worker's to check.
      pickup: v.optional(
        v.pipe(
          v.unknown(),
          v.check((value) => isBlank(value) || (typeof value === 'string' && PICKUP_PATTERN.test(value.trim())), codeOf('INVALID_FORMAT')),
          v.transform((value) => (isBlank(value) ? null : (value as string).trim().replaceAll('-', '').toUpperCase())),
        ),
        null,
      ),
      product: v.optional(
        v.pipe(
          v.unknown(),
          v.check((value) => isBlank(value) || (typeof value === 'string' && rules.products.has(value)), codeOf('NOT_ALLOWED')),
          v.transform((value) => (isBlank(value) ? rules.defaultProduct : (value as string))),
        ),
        rules.defaultProduct,
      ),
    },
    // A required member left out altogether.
    codeOf('REQUIRED'),
  )
}

export type ApplicationSchema = ReturnType<typeof applicationSchema>

/** Issues (valibot's or Standard Schema's) as the API's field → code map: the first code per field. */
export function fieldCodesOf(issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> }>): Record<string, FieldCode> {
  const fields: Record<string, FieldCode> = {}
  for (const issue of issues) {
    const first = issue.path?.[0]
    const key = typeof first === 'object' && first !== null && 'key' in first ? (first as { key: unknown }).key : first
    const field = typeof key === 'string' ? key : ''
    if (!(field in fields)) fields[field] = (FIELD_CODES as readonly string[]).includes(issue.message) ? (issue.message as FieldCode) : 'INVALID_FORMAT'
  }
  return fields
}

export type ApplicationResult = { ok: true; value: ApplicationInput } | { ok: false; fields: Record<string, FieldCode> }

/** Validates a parsed body: one code per failing field, or the normalised application. */
export function checkApplication(body: unknown, rules: ApplicationRules): ApplicationResult {
  const result = v.safeParse(applicationSchema(rules), body, { abortPipeEarly: true })
  if (!result.success) return { ok: false, fields: fieldCodesOf(result.issues) }
  const { name, company, email, phone, featureCode, quantity, validityDays, note, locale, timeZone, product, featureCodeCheck, renews, pickup } = result.output
  return { ok: true, value: { name, company, email, phone, featureCode, quantity, validityDays, note, locale, timeZone, product, ...(featureCodeCheck ? { featureCodeCheck } : {}), ...(renews ? { renews } : {}), ...(pickup ? { pickup } : {}) } as ApplicationInput }
}
