// The applicant's time zone: sent by the page at submit (an IANA name), checked against the zones
// the runtime's Intl knows, and used to print every time a mail or the status page shows.
import type { Locale } from './shapes.ts'

const IANA_NAME = /^(?:UTC|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2})$/

/** True for an IANA zone name Intl accepts, e.g. `Asia/Shanghai`; offsets like `+08:00` are refused. */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 64 || !IANA_NAME.test(value)) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: value })
    return true
  } catch {
    return false
  }
}

/**
 * The zone of an application that sent none (an API client, or a page from before time zones):
 * Beijing time for a Chinese applicant, UTC otherwise (docs/api.md, `timeZone`).
 */
export function timeZoneOf(app: { locale: Locale; timeZone?: string | null }): string {
  if (app.timeZone && isTimeZone(app.timeZone)) return app.timeZone
  return app.locale === 'zh-CN' ? 'Asia/Shanghai' : 'UTC'
}

/**
 * A moment as a customer reads it, with the zone named: `2026年12月2日 12:11（中国标准时间）`,
 * `Dec 2, 2026, 12:11 (China Standard Time)`. Deterministic for the same input (same ICU data).
 */
export function formatZoned(ms: number, locale: Locale, timeZone: string): string {
  const date = new Date(ms)
  const moment = new Intl.DateTimeFormat(locale, {
    dateStyle: locale === 'zh-CN' ? 'long' : 'medium',
    timeStyle: 'short',
    hourCycle: 'h23',
    timeZone,
  }).format(date)
  const zone = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'long' })
    .formatToParts(date)
    .find((part) => part.type === 'timeZoneName')?.value ?? timeZone
  return locale === 'zh-CN' ? `${moment}（${zone}）` : `${moment} (${zone})`
}
