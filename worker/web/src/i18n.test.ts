import { describe, expect, it } from 'vitest'
import { LOCALES, MESSAGES, pickLocale, translate } from './i18n.ts'
import type { Dictionary } from './i18n.ts'
import { STATUS_MESSAGES } from './status-messages.ts'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe.each([
  ['common', MESSAGES],
  ['status page', STATUS_MESSAGES],
] as [string, Dictionary<string>][])('the %s dictionary', (_, messages) => {
  const keys = Object.keys(messages['zh-CN']).sort()

  it('has the same keys in every language', () => {
    for (const locale of LOCALES) expect(Object.keys(messages[locale]).sort()).toEqual(keys)
  })

  it('has a non-empty text for every key in every language', () => {
    for (const locale of LOCALES) {
      for (const key of keys) expect(messages[locale][key].trim(), `${locale} ${key}`).not.toBe('')
    }
  })

  it('uses the same placeholders in both languages', () => {
    for (const key of keys) {
      expect(placeholders(messages.en[key]), key).toEqual(placeholders(messages['zh-CN'][key]))
    }
  })
})

describe('the accessible names the browser tests rely on', () => {
  it('match the agreed labels in both languages', () => {
    const names = (locale: 'zh-CN' | 'en') =>
      [
        'label.name',
        'label.company',
        'label.email',
        'label.phone',
        'label.featureCode',
        'label.quantity',
        'label.validityDays',
        'label.note',
        'submit',
        'done.view',
      ].map((key) => translate(MESSAGES, locale, key as keyof (typeof MESSAGES)['en']))
    expect(names('en')).toEqual([
      'Name',
      'Company',
      'Email',
      'Phone (optional)',
      'Feature code',
      'Quantity',
      'Validity',
      'Note (optional)',
      'Submit application',
      'View status',
    ])
    expect(names('zh-CN')).toEqual([
      '姓名',
      '公司',
      '邮箱',
      '电话（选填）',
      '特征码',
      '数量',
      '有效期',
      '备注（选填）',
      '提交申请',
      '查看进度',
    ])
    expect(translate(STATUS_MESSAGES, 'en', 'status.heading')).toBe('Application status')
    expect(translate(STATUS_MESSAGES, 'zh-CN', 'status.heading')).toBe('申请进度')
  })
})

describe('translate', () => {
  it('fills placeholders and leaves unknown ones as they are', () => {
    expect(translate(MESSAGES, 'en', 'hint.quantity', { min: 1, max: 50 })).toBe('From 1 to 50')
    expect(translate(MESSAGES, 'zh-CN', 'hint.quantity', { min: 1 })).toBe('可填 1 到 {max}')
  })
})

describe('pickLocale', () => {
  it('keeps a remembered choice over the browser languages', () => {
    expect(pickLocale('en', ['zh-CN'])).toBe('en')
    expect(pickLocale('zh-CN', ['en-US'])).toBe('zh-CN')
  })

  it('maps any Chinese browser language to zh-CN', () => {
    for (const tag of ['zh', 'zh-CN', 'zh-TW', 'zh-Hans-CN', 'ZH-hk']) {
      expect(pickLocale(null, [tag])).toBe('zh-CN')
    }
  })

  it('takes the first of Chinese or English in the browser order', () => {
    expect(pickLocale(null, ['en-US', 'zh-CN'])).toBe('en')
    expect(pickLocale(null, ['de-DE', 'zh-CN', 'en'])).toBe('zh-CN')
  })

  it('falls back to English for other languages, none, or a bad remembered value', () => {
    expect(pickLocale(null, ['de-DE', 'fr'])).toBe('en')
    expect(pickLocale(null, [])).toBe('en')
    expect(pickLocale('fr', ['zh-CN'])).toBe('zh-CN')
    expect(pickLocale(null, ['zhx'])).toBe('en')
  })
})
