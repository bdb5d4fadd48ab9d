import { describe, expect, it } from 'vitest'
import { STATUSES } from './console-api.ts'
import { CONSOLE_MESSAGES, isConsoleMessageKey } from './console-messages.ts'

describe('the console texts', () => {
  it('have every key in both languages, none empty', () => {
    const zh = Object.keys(CONSOLE_MESSAGES['zh-CN']).sort()
    expect(Object.keys(CONSOLE_MESSAGES.en).sort()).toEqual(zh)
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const [key, text] of Object.entries(CONSOLE_MESSAGES[locale])) expect(text.trim(), `${locale} ${key}`).not.toBe('')
    }
  })

  it('name every application status and every event source', () => {
    for (const status of STATUSES) expect(isConsoleMessageKey(`status.${status}`), status).toBe(true)
    for (const source of ['api', 'dingtalk', 'cron', 'outbox']) expect(isConsoleMessageKey(`source.${source}`), source).toBe(true)
  })

  it('use the same placeholders in both languages', () => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort()
    for (const [key, text] of Object.entries(CONSOLE_MESSAGES['zh-CN'])) {
      expect(names(CONSOLE_MESSAGES.en[key as keyof typeof CONSOLE_MESSAGES.en]), key).toEqual(names(text))
    }
  })
})
