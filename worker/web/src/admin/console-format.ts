// Times and numbers as the console shows them: the operator's language, the device's time zone.
import type { Locale } from '../i18n.ts'

const DAY_MS = 86_400_000

/** Epoch milliseconds → "2026-12-02 10:46" (local); null → an em dash. */
export function formatMs(ms: number | null | undefined, locale: Locale, timeZone?: string): string {
  if (ms === null || ms === undefined) return '—'
  const date = new Date(ms)
  if (Number.isNaN(date.getTime())) return String(ms)
  return new Intl.DateTimeFormat(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    ...(timeZone ? { timeZone } : {}),
  }).format(date)
}

/** License claims are in seconds. */
export const formatSeconds = (seconds: number, locale: Locale, timeZone?: string) => formatMs(seconds * 1000, locale, timeZone)

/** Whole days from `now` (ms) until `expSeconds`, rounded up: a license expiring later today has 1. */
export const daysLeft = (expSeconds: number, now: number) => Math.max(0, Math.ceil((expSeconds * 1000 - now) / DAY_MS))

/** Event data or alert details as one readable line of `key: value`s. */
export function describeData(data: Record<string, unknown> | null | undefined): string {
  if (!data) return ''
  return Object.entries(data)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ')
}
