import { describe, expect, it } from 'vitest'
import { formatDateTime, formatValidity, splitAround } from './format.ts'

describe('formatValidity', () => {
  it('shows whole years as years and other periods as days, in both languages', () => {
    expect(formatValidity(30, 'zh-CN')).toBe('30 天')
    expect(formatValidity(90, 'en')).toBe('90 days')
    expect(formatValidity(1, 'en')).toBe('1 day')
    expect(formatValidity(365, 'zh-CN')).toBe('1 年')
    expect(formatValidity(365, 'en')).toBe('1 year')
    expect(formatValidity(730, 'en')).toBe('2 years')
    expect(formatValidity(400, 'en')).toBe('400 days')
  })
})

describe('formatDateTime', () => {
  it('formats in the chosen language and the given time zone', () => {
    const iso = '2025-03-01T08:05:00Z'
    expect(formatDateTime(iso, 'en', 'UTC')).toMatch(/Mar 1, 2025.*8:05/)
    expect(formatDateTime(iso, 'zh-CN', 'Asia/Shanghai')).toMatch(/2025年3月1日.*16:05/)
  })

  it('shows an unreadable time as it came', () => {
    expect(formatDateTime('not a date', 'en')).toBe('not a date')
  })
})

describe('splitAround', () => {
  it('marks each occurrence of the word whole and keeps every character in order', () => {
    const text = '请联系我们的支持人员，并提供申请编号 LD-8QPDMSJMDEP9。'
    const parts = splitAround(text, 'LD-8QPDMSJMDEP9')
    expect(parts).toEqual([
      { text: '请联系我们的支持人员，并提供申请编号 ', whole: false },
      { text: 'LD-8QPDMSJMDEP9', whole: true },
      { text: '。', whole: false },
    ])
    expect(parts.map((part) => part.text).join('')).toBe(text)
    expect(splitAround('a X b X', 'X').filter((part) => part.whole)).toHaveLength(2)
    expect(splitAround('no id here', 'LD-1')).toEqual([{ text: 'no id here', whole: false }])
  })
})
