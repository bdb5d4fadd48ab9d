// A pickup's user code (docs/pickup.md, RFC 8628 §6.1): 8 of 20 consonants, shown XXXX-XXXX. Shared
// by the worker (which draws and looks codes up) and the pickup page (which checks what a person
// typed before asking): no worker globals here.
import { toHalfWidth } from './application.ts'

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'
export const USER_CODE_LENGTH = 8

/**
 * A code as a person types it — any case, full-width letters, dashes, spaces and other separators
 * ignored (RFC 8628 §6.1) — in its stored form, or null when what is left is not 8 letters of the
 * alphabet.
 */
export function parseTypedUserCode(typed: string): string | null {
  const letters = toHalfWidth(typed).toUpperCase().replace(/[\s\-_.·—–]/g, '')
  if (letters.length !== USER_CODE_LENGTH) return null
  for (const letter of letters) if (!USER_CODE_ALPHABET.includes(letter)) return null
  return letters
}

/** The stored user code as shown: `XXXX-XXXX`. */
export const displayUserCode = (code: string): string => `${code.slice(0, 4)}-${code.slice(4)}`
