import { describe, expect, it } from 'vitest'
import { checkApplication, FIELD_CODES, LIMITS, toHalfWidth, type ApplicationRules } from './application.ts'

const rules: ApplicationRules = {
  products: new Set(['hypermotion']),
  defaultProduct: 'hypermotion',
  validityDays: [30, 90, 365],
  quantity: { min: 1, max: 100 },
  featureCodePattern: /^[\x21-\x7e]{1,256}$/,
  defaultLocale: 'zh-CN',
}
const valid = { name: '张三', company: 'Acme', email: 'zhang@example.com', featureCode: 'HM7F3A9C2B', quantity: 5, validityDays: 90 }
const fieldsOf = (patch: Record<string, unknown>) => {
  const result = checkApplication({ ...valid, ...patch }, rules)
  return result.ok ? {} : result.fields
}
const valueOf = (patch: Record<string, unknown>) => {
  const result = checkApplication({ ...valid, ...patch }, rules)
  if (!result.ok) throw new Error(JSON.stringify(result.fields))
  return result.value
}

describe('the application schema', () => {
  it('accepts the phone formats people type in China and keeps them as typed, in half-width', () => {
    const phones = {
      '138.0013.8000': '138.0013.8000',
      '138 0013 8000': '138 0013 8000',
      '138-0013-8000': '138-0013-8000',
      '+86 138 0013 8000': '+86 138 0013 8000',
      '0086 138 0013 8000': '0086 138 0013 8000',
      '(010) 1234 5678': '(010) 1234 5678',
      '010-12345678 转 801': '010-12345678 转 801',
      '+86 138 0013 8000 转 801': '+86 138 0013 8000 转 801',
      '0755-1234 5678 分机 801': '0755-1234 5678 分机 801',
      '+86 10 1234 5678 ext. 801': '+86 10 1234 5678 ext. 801',
      '010 1234 5678 x801': '010 1234 5678 x801',
      '＋８６　１３８－００１３－８０００': '+86 138-0013-8000',
      '（０１０）１２３４５６７８': '(010)12345678',
    }
    for (const [typed, stored] of Object.entries(phones)) expect(valueOf({ phone: typed }).phone, typed).toBe(stored)
  })

  it('refuses phones that are not numbers with INVALID_FORMAT and past 32 characters with TOO_LONG', () => {
    for (const phone of ['call me', '12', '138 0013 8000 转', 'ext. 801', '+86 138 0013 8000 转 8012345']) {
      expect(fieldsOf({ phone }), phone).toEqual({ phone: 'INVALID_FORMAT' })
    }
    expect(fieldsOf({ phone: '1'.repeat(LIMITS.phone + 1) })).toEqual({ phone: 'TOO_LONG' })
    expect(valueOf({ phone: '  ' }).phone).toBeNull()
  })

  it('reads full-width digits in the quantity, validity and feature code', () => {
    expect(valueOf({ quantity: '２５', validityDays: '９０', featureCode: 'ＨＭ７Ｆ３Ａ' })).toMatchObject({ quantity: 25, validityDays: 90, featureCode: 'HM7F3A' })
    expect(toHalfWidth('０１２３４５６７８９ＡＢ　－')).toBe('0123456789AB -')
  })

  it('counts limits in characters and reports TOO_LONG just past each', () => {
    for (const field of ['name', 'company', 'note'] as const) {
      expect(fieldsOf({ [field]: '字'.repeat(LIMITS[field]) }), field).toEqual({})
      expect(fieldsOf({ [field]: '😀'.repeat(LIMITS[field] + 1) }), field).toEqual({ [field]: 'TOO_LONG' })
    }
    expect(fieldsOf({ featureCode: 'A'.repeat(256) })).toEqual({})
    expect(fieldsOf({ featureCode: 'A'.repeat(257) })).toEqual({ featureCode: 'TOO_LONG' })
    expect(fieldsOf({ email: `${'a'.repeat(60)}@${'b'.repeat(190)}.com` })).toEqual({ email: 'TOO_LONG' })
  })

  it('answers each field code where it applies', () => {
    expect(checkApplication({}, rules)).toEqual({
      ok: false,
      fields: { name: 'REQUIRED', company: 'REQUIRED', email: 'REQUIRED', featureCode: 'REQUIRED', quantity: 'REQUIRED', validityDays: 'REQUIRED' },
    })
    expect(fieldsOf({ name: null, company: ' ' })).toEqual({ name: 'REQUIRED', company: 'REQUIRED' })
    expect(fieldsOf({ email: 'a@b' })).toEqual({ email: 'INVALID_EMAIL' })
    expect(fieldsOf({ name: 7, quantity: 2.5, featureCode: '特征码' })).toEqual({ name: 'INVALID_FORMAT', quantity: 'INVALID_FORMAT', featureCode: 'INVALID_FORMAT' })
    expect(fieldsOf({ quantity: 101 })).toEqual({ quantity: 'OUT_OF_RANGE' })
    expect(fieldsOf({ validityDays: 7, locale: 'fr', product: 'other' })).toEqual({ validityDays: 'NOT_ALLOWED', locale: 'NOT_ALLOWED', product: 'NOT_ALLOWED' })
    expect(FIELD_CODES).toContain('TOO_SHORT')
  })

  it('fills defaults, ignores unknown members and compacts the feature code', () => {
    expect(checkApplication({ ...valid, featureCode: ' HM7F 3A9C\n2B ', extra: 1 }, rules)).toEqual({
      ok: true,
      value: { ...valid, featureCode: 'HM7F3A9C2B', phone: null, note: null, locale: 'zh-CN', timeZone: null, product: 'hypermotion' },
    })
  })

  it('takes an IANA time zone and refuses an offset or an unknown zone', () => {
    expect(checkApplication({ ...valid, timeZone: 'Asia/Shanghai' }, rules)).toMatchObject({ ok: true, value: { timeZone: 'Asia/Shanghai' } })
    for (const timeZone of ['+08:00', 'Mars/Base', 42]) {
      expect(checkApplication({ ...valid, timeZone }, rules), String(timeZone)).toMatchObject({ ok: false, fields: { timeZone: 'NOT_ALLOWED' } })
    }
  })

  it('applies the configured feature-code pattern as a parameter', () => {
    const strict = { ...rules, featureCodePattern: /^HM[0-9A-F]{8}$/ }
    expect(checkApplication({ ...valid, featureCode: 'HMXYZ' }, strict)).toMatchObject({ ok: false, fields: { featureCode: 'INVALID_FORMAT' } })
    expect(checkApplication(valid, strict).ok).toBe(true)
  })
})
