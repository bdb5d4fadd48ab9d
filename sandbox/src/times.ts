// Time formats DingTalk uses: the new API's UTC minutes (`2022-08-31T11:52Z`), the legacy API's
// China-time seconds (`2020-12-21 15:30:26`), and the China-time month that quotas count by.

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/** `yyyy-MM-ddTHH:mmZ` (dingtalk.md §3.1: UTC, minute precision). */
export function apiTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + 'Z'
}

/** `yyyy-MM-dd HH:mm:ss` in China time (dingtalk.md §3.2). */
export function legacyTime(ms: number): string {
  const iso = new Date(ms + CHINA_OFFSET_MS).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}

/** `yyyy-MM` in China time: the bucket of DingTalk's monthly API quota. */
export function quotaMonth(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 7)
}

/** `yyyyMMddHHmm` in China time, the prefix of DingTalk business ids. */
export function businessIdPrefix(ms: number): string {
  const d = new Date(ms + CHINA_OFFSET_MS)
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`
}
