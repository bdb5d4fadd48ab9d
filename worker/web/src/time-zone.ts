// The applicant's time zone: the browser's, sent at submit, so the worker's mails print times in
// it; the status page prints them in the zone the worker names for the application.
import type { Locale } from './i18n.ts'

/** The browser's IANA zone, e.g. `Asia/Shanghai`; undefined when it reports none. */
export function browserTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined
  } catch {
    return undefined
  }
}

/** `2026年12月2日 12:11（中国标准时间）`, `Dec 2, 2026, 12:11 (China Standard Time)`: as the mails print it. */
export function formatZonedDateTime(iso: string, locale: Locale, timeZone?: string): string {
  return zoned(new Date(iso), locale, timeZone, { dateStyle: locale === 'zh-CN' ? 'long' : 'medium', timeStyle: 'short' }) ?? iso
}

/** `12:11:05（中国标准时间）`, `12:11:05 (China Standard Time)`: when the page last heard from the worker. */
export function formatZonedTime(date: Date, locale: Locale, timeZone?: string): string {
  return zoned(date, locale, timeZone, { timeStyle: 'medium' }) ?? ''
}

function zoned(date: Date, locale: Locale, timeZone: string | undefined, style: Intl.DateTimeFormatOptions): string | null {
  if (Number.isNaN(date.getTime())) return null
  try {
    const moment = new Intl.DateTimeFormat(locale, { ...style, hourCycle: 'h23', ...(timeZone ? { timeZone } : {}) }).format(date)
    const zone = new Intl.DateTimeFormat(locale, { timeZoneName: 'long', ...(timeZone ? { timeZone } : {}) })
      .formatToParts(date)
      .find((part) => part.type === 'timeZoneName')?.value
    if (!zone) return moment
    return locale === 'zh-CN' ? `${moment}（${zone}）` : `${moment} (${zone})`
  } catch {
    // An unknown zone from an older worker: the device's own.
    return timeZone ? zoned(date, locale, undefined, style) : null
  }
}
