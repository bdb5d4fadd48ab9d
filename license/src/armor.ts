// The armor around a license's compact JWS (stable, docs/license-format.md, "Armor"): wrapped at
// 64 characters when issued; when read, text outside the markers and whitespace inside are ignored.
import { LicenseError } from './errors.ts'

export const ARMOR_BEGIN = '-----BEGIN LICENSE-----'
export const ARMOR_END = '-----END LICENSE-----'
export const ARMOR_LINE_WIDTH = 64
/** Longer than any license a v1 issuer writes; bounds the work done on hostile input. */
export const MAX_JWS_LENGTH = 16_384

const WHITESPACE = /[\t\n\v\f\r ]+/g
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

export function armorLicense(jws: string): string {
  const lines: string[] = []
  for (let at = 0; at < jws.length; at += ARMOR_LINE_WIDTH) {
    lines.push(jws.slice(at, at + ARMOR_LINE_WIDTH))
  }
  return `${ARMOR_BEGIN}\n${lines.join('\n')}\n${ARMOR_END}\n`
}

/** The compact JWS inside the first armored block of `text`. */
export function dearmorLicense(text: string): string {
  if (typeof text !== 'string') throw new LicenseError('BAD_ARMOR', 'a license is text')
  const begin = text.indexOf(ARMOR_BEGIN)
  if (begin < 0) {
    throw new LicenseError('BAD_ARMOR', `no ${ARMOR_BEGIN} line: this is not a license`)
  }
  const start = begin + ARMOR_BEGIN.length
  const end = text.indexOf(ARMOR_END, start)
  if (end < 0) throw new LicenseError('BAD_ARMOR', `no ${ARMOR_END} line: the license is cut short`)
  const inner = text.slice(start, end)
  if (inner.length > MAX_JWS_LENGTH * 2) {
    throw new LicenseError('BAD_ARMOR', 'the armored block is too long to be a license')
  }
  const jws = inner.replace(WHITESPACE, '')
  if (jws.length > MAX_JWS_LENGTH) throw new LicenseError('BAD_ARMOR', 'the license is too long')
  if (!COMPACT_JWS.test(jws)) {
    throw new LicenseError('BAD_ARMOR', 'the armored block is not a compact JWS')
  }
  return jws
}
