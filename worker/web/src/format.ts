// Dates and periods shown to the customer, in the chosen language and the device's time zone.
import { MESSAGES, translate } from './i18n.ts'
import type { Locale } from './i18n.ts'

export function formatDateTime(iso: string, locale: Locale, timeZone?: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(date)
}

/** 30 → "30 天" / "30 days"; whole years (365, 730) → "1 年" / "2 years". */
export function formatValidity(days: number, locale: Locale): string {
  if (days >= 365 && days % 365 === 0) {
    const years = days / 365
    return years === 1
      ? translate(MESSAGES, locale, 'validity.year')
      : translate(MESSAGES, locale, 'validity.years', { n: years })
  }
  return days === 1
    ? translate(MESSAGES, locale, 'validity.day')
    : translate(MESSAGES, locale, 'validity.days', { n: days })
}

export type TextPart = { text: string; whole: boolean }

/**
 * A message split around each occurrence of `word`, marked `whole`, so the page can keep an
 * application number from breaking at its dash (LD-… on a phone) without changing its characters.
 */
export function splitAround(text: string, word: string): TextPart[] {
  if (!word) return [{ text, whole: false }]
  const parts: TextPart[] = []
  let from = 0
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, from)) {
    if (at > from) parts.push({ text: text.slice(from, at), whole: false })
    parts.push({ text: word, whole: true })
    from = at + word.length
  }
  if (from < text.length) parts.push({ text: text.slice(from), whole: false })
  return parts
}
