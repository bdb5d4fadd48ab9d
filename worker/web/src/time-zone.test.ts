import { describe, expect, it } from 'vitest'
import { browserTimeZone, formatZonedDateTime, formatZonedTime } from './time-zone.ts'

describe('formatZonedDateTime', () => {
  const at = '2027-01-15T04:11:00.000Z'

  it('prints the moment in the given zone with the zone named, as the mails do', () => {
    expect(formatZonedDateTime(at, 'zh-CN', 'Asia/Shanghai')).toBe('2027年1月15日 12:11（中国标准时间）')
    expect(formatZonedDateTime(at, 'en', 'Asia/Shanghai')).toBe('Jan 15, 2027, 12:11 (China Standard Time)')
    expect(formatZonedDateTime(at, 'en', 'UTC')).toBe('Jan 15, 2027, 04:11 (Coordinated Universal Time)')
  })

  it('falls back to the device’s zone for a zone it does not know, and leaves a bad date as it is', () => {
    expect(formatZonedDateTime(at, 'en', 'Mars/Olympus')).toBe(formatZonedDateTime(at, 'en'))
    expect(formatZonedDateTime('not a date', 'en', 'UTC')).toBe('not a date')
  })
})

describe('formatZonedTime', () => {
  it('prints the time of day in the application’s zone, named, whatever the device’s zone', () => {
    const at = new Date('2027-01-15T04:11:05.000Z')
    expect(formatZonedTime(at, 'zh-CN', 'Asia/Shanghai')).toBe('12:11:05（中国标准时间）')
    expect(formatZonedTime(at, 'en', 'Asia/Shanghai')).toBe('12:11:05 (China Standard Time)')
    expect(formatZonedTime(at, 'en', 'Europe/Berlin')).toBe('05:11:05 (Central European Standard Time)')
  })
})

describe('browserTimeZone', () => {
  it('is the runtime’s IANA zone', () => {
    expect(browserTimeZone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone)
  })
})
