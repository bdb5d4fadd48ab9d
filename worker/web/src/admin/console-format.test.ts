import { describe, expect, it } from 'vitest'
import { queryString } from './console-api.ts'
import { daysLeft, describeData, formatMs, formatSeconds } from './console-format.ts'

const AT = Date.UTC(2026, 11, 2, 9, 5)

describe('the console formats', () => {
  it('shows epoch milliseconds and claim seconds as local date and time, null as a dash', () => {
    expect(formatMs(AT, 'en', 'UTC')).toBe('02/12/2026, 09:05')
    expect(formatMs(AT, 'zh-CN', 'Asia/Shanghai')).toBe('2026/12/02 17:05')
    expect(formatSeconds(AT / 1000, 'en', 'UTC')).toBe('02/12/2026, 09:05')
    expect(formatMs(null, 'en')).toBe('—')
  })

  it('counts whole days left, rounding up, never below zero', () => {
    expect(daysLeft(AT / 1000 + 86_400 * 30, AT)).toBe(30)
    expect(daysLeft(AT / 1000 + 60, AT)).toBe(1)
    expect(daysLeft(AT / 1000 - 60, AT)).toBe(0)
  })

  it('writes event data as key: value pairs', () => {
    expect(describeData({ instanceId: 'abc', attempt: 1, result: null })).toBe('instanceId: abc · attempt: 1 · result: null')
    expect(describeData(null)).toBe('')
  })

  it('leaves empty filters out of the query', () => {
    expect(queryString({ q: 'a b&c', status: '', product: undefined, cursor: null, limit: 50 })).toBe('?q=a+b%26c&limit=50')
    expect(queryString({ q: '' })).toBe('')
  })
})
