// Turns coded errors (from the client checks or the worker) into words in the chosen language:
// a field's own message when it has one, else the code's generic message, else "invalid".
import { ApiError } from './api.ts'
import { MAX_LENGTH } from './validation.ts'
import { isMessageKey, MESSAGES, translate } from './i18n.ts'
import type { Locale, MessageKey } from './i18n.ts'

export interface MessageContext {
  quantity?: { min: number; max: number }
  /** Per field, the most characters it takes (stated in TOO_LONG). */
  limits?: Readonly<Partial<Record<string, number>>>
}

/** The field's name inside sentences ("Company is required"), without "(optional)". */
export function fieldName(locale: Locale, field: string): string {
  const key = `field.${field}`
  return isMessageKey(key) ? translate(MESSAGES, locale, key) : field
}

export function fieldErrorMessage(
  locale: Locale,
  field: string,
  code: string,
  context: MessageContext = {},
): string {
  const params = {
    field: fieldName(locale, field),
    min: context.quantity?.min ?? '',
    max: context.quantity?.max ?? '',
    limit: (context.limits ?? MAX_LENGTH)[field as keyof typeof MAX_LENGTH] ?? '',
  }
  const own = `err.${field}.${code}`
  const generic = `err.${code}`
  const key: MessageKey = isMessageKey(own) ? own : isMessageKey(generic) ? generic : 'err.INVALID'
  return translate(MESSAGES, locale, key, params)
}

/** The message for a failed submission that is not about one field. */
export function requestErrorMessage(locale: Locale, error: unknown): string {
  const code = error instanceof ApiError ? error.code : 'UNEXPECTED'
  const key = `error.${code}`
  return isMessageKey(key)
    ? translate(MESSAGES, locale, key, { id: existingIdOf(error) })
    : translate(MESSAGES, locale, 'error.generic', { code })
}

/** The pending application a 409 APPLICATION_PENDING names (its id only, never a link). */
function existingIdOf(error: unknown): string {
  const body = error instanceof ApiError ? error.body : null
  const id = typeof body === 'object' && body !== null ? (body as { existingId?: unknown }).existingId : null
  return typeof id === 'string' ? id : '—'
}
