import { describe, expect, it } from 'vitest'
import { localeFromAcceptLanguage, validateApplication, type ValidationRules } from './validation.ts'

const rules: ValidationRules = {
  products: new Set(['hypermotion']),
  defaultProduct: 'hypermotion',
  validityDays: [30, 90, 180, 365],
  quantity: { min: 1, max: 10000 },
  featureCodePattern: /^[A-Za-z0-9][A-Za-z0-9+/=_:.-]{7,127}$/,
  defaultLocale: 'en',
}

const valid = {
  name: 'Li Lei',
  company: 'Example Co.',
  email: 'li.lei@example.com',
  phone: '+86 138 0000 0000',
  featureCode: 'HM1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C2D3E4F5A6B7C8D9E0F1A2B3',
  quantity: 5,
  validityDays: 365,
  note: 'line one\nline two',
  locale: 'zh-CN',
  product: 'hypermotion',
}

function fieldsOf(body: Record<string, unknown>) {
  const result = validateApplication(body, rules)
  return result.ok ? {} : result.fields
}

describe('validateApplication', () => {
  it('accepts a complete application and trims its strings', () => {
    const result = validateApplication({ ...valid, name: '  Li Lei  ', company: ' Example Co. ' }, rules)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value).toMatchObject({ name: 'Li Lei', company: 'Example Co.', quantity: 5, validityDays: 365, locale: 'zh-CN' })
  })

  it('fills optional fields: no phone or note, default product, locale from the rules', () => {
    const { phone: _p, note: _n, locale: _l, product: _r, ...minimal } = valid
    const result = validateApplication(minimal, rules)
    expect(result).toMatchObject({ ok: true, value: { phone: null, note: null, locale: 'en', product: 'hypermotion' } })
  })

  it('reports REQUIRED for every missing required field', () => {
    expect(fieldsOf({})).toEqual({
      name: 'REQUIRED',
      company: 'REQUIRED',
      email: 'REQUIRED',
      featureCode: 'REQUIRED',
      quantity: 'REQUIRED',
      validityDays: 'REQUIRED',
    })
    expect(fieldsOf({ ...valid, name: '   ' })).toEqual({ name: 'REQUIRED' })
  })

  it('reports TOO_LONG past each length limit', () => {
    expect(fieldsOf({ ...valid, name: 'x'.repeat(101) })).toEqual({ name: 'TOO_LONG' })
    expect(fieldsOf({ ...valid, name: 'x'.repeat(100) })).toEqual({})
    expect(fieldsOf({ ...valid, company: 'x'.repeat(201) })).toEqual({ company: 'TOO_LONG' })
    expect(fieldsOf({ ...valid, email: `${'a'.repeat(250)}@example.com` })).toEqual({ email: 'TOO_LONG' })
    expect(fieldsOf({ ...valid, phone: '1'.repeat(33) })).toEqual({ phone: 'TOO_LONG' })
    expect(fieldsOf({ ...valid, note: 'x'.repeat(1001) })).toEqual({ note: 'TOO_LONG' })
    expect(fieldsOf({ ...valid, featureCode: 'A'.repeat(257) })).toEqual({ featureCode: 'TOO_LONG' })
  })

  it('reports INVALID_EMAIL for addresses that are not', () => {
    for (const email of ['plain', 'a@b', 'a b@example.com', 'a@example', '<a@example.com>', 'a@@example.com']) {
      expect(fieldsOf({ ...valid, email }), email).toEqual({ email: 'INVALID_EMAIL' })
    }
  })

  it('reports INVALID_FORMAT for wrong types, control characters, bad phones and feature codes', () => {
    expect(fieldsOf({ ...valid, name: 42 })).toEqual({ name: 'INVALID_FORMAT' })
    expect(fieldsOf({ ...valid, company: 'Evil\u0000Corp' })).toEqual({ company: 'INVALID_FORMAT' })
    expect(fieldsOf({ ...valid, phone: 'call me' })).toEqual({ phone: 'INVALID_FORMAT' })
    expect(fieldsOf({ ...valid, featureCode: 'short' })).toEqual({ featureCode: 'INVALID_FORMAT' })
    expect(fieldsOf({ ...valid, featureCode: 'ABCDEFGH<script>' })).toEqual({ featureCode: 'INVALID_FORMAT' })
    expect(fieldsOf({ ...valid, quantity: 2.5 })).toEqual({ quantity: 'INVALID_FORMAT' })
    expect(fieldsOf({ ...valid, quantity: 'many' })).toEqual({ quantity: 'INVALID_FORMAT' })
    expect(fieldsOf({ ...valid, validityDays: [30] })).toEqual({ validityDays: 'INVALID_FORMAT' })
  })

  it('reports OUT_OF_RANGE for quantities outside the bounds and accepts digit strings', () => {
    expect(fieldsOf({ ...valid, quantity: 0 })).toEqual({ quantity: 'OUT_OF_RANGE' })
    expect(fieldsOf({ ...valid, quantity: 10001 })).toEqual({ quantity: 'OUT_OF_RANGE' })
    expect(validateApplication({ ...valid, quantity: '10000' }, rules)).toMatchObject({ ok: true, value: { quantity: 10000 } })
  })

  it('reports NOT_ALLOWED for an unlisted validity, locale or product', () => {
    expect(fieldsOf({ ...valid, validityDays: 60 })).toEqual({ validityDays: 'NOT_ALLOWED' })
    expect(fieldsOf({ ...valid, locale: 'fr' })).toEqual({ locale: 'NOT_ALLOWED' })
    expect(fieldsOf({ ...valid, product: 'othermotion' })).toEqual({ product: 'NOT_ALLOWED' })
  })

  it('stores the feature code as the product reports it, case and separators kept', () => {
    const result = validateApplication({ ...valid, featureCode: ' HM-abcd-1234-EFgh ' }, rules)
    expect(result).toMatchObject({ ok: true, value: { featureCode: 'HM-abcd-1234-EFgh' } })
  })
})

describe('localeFromAcceptLanguage', () => {
  it('picks zh-CN for Chinese browsers and en otherwise', () => {
    expect(localeFromAcceptLanguage('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN')
    expect(localeFromAcceptLanguage('zh-TW')).toBe('zh-CN')
    expect(localeFromAcceptLanguage('en-US,en;q=0.9')).toBe('en')
    expect(localeFromAcceptLanguage(undefined)).toBe('en')
  })
})
