import { describe, expect, it } from 'vitest'
import { compactFeatureCode, isValidFeatureCode, normalizeFeatureCode } from './feature-code.ts'

describe('normalizeFeatureCode', () => {
  it('upper-cases ASCII letters and drops dashes and ASCII whitespace', () => {
    expect(normalizeFeatureCode(' 9f86-d081 884c\t7d65\r\n')).toBe('9F86D081884C7D65')
  })

  it('leaves every other character as it is (underscores, dots, non-ASCII)', () => {
    expect(normalizeFeatureCode('ab_c.d')).toBe('AB_C.D')
    expect(normalizeFeatureCode('ß')).toBe('ß')
  })

  it('is idempotent', () => {
    const once = normalizeFeatureCode('ab-cd ef')
    expect(normalizeFeatureCode(once)).toBe(once)
  })
})

describe('compactFeatureCode', () => {
  it('drops only ASCII whitespace, keeping case and separators as the product reports them', () => {
    expect(compactFeatureCode(' HM-9c41-7A2E\n55D0\t')).toBe('HM-9c41-7A2E55D0')
  })

  it('compacts to a form that normalises like the original', () => {
    const reported = 'hm-9c41 7a2e'
    expect(normalizeFeatureCode(compactFeatureCode(reported))).toBe(normalizeFeatureCode(reported))
  })
})

describe('isValidFeatureCode', () => {
  it('accepts 1 to 256 printable ASCII characters after normalisation', () => {
    expect(isValidFeatureCode('a')).toBe(true)
    expect(isValidFeatureCode('A'.repeat(256))).toBe(true)
    expect(isValidFeatureCode('A-B'.repeat(85))).toBe(true)
    expect(isValidFeatureCode('A-B'.repeat(86))).toBe(false)
  })

  it('refuses empty, over-long and non-ASCII codes', () => {
    expect(isValidFeatureCode(' - ')).toBe(false)
    expect(isValidFeatureCode('A'.repeat(257))).toBe(false)
    expect(isValidFeatureCode('ＡＢＣ')).toBe(false)
    expect(isValidFeatureCode('AB\u0000C')).toBe(false)
  })
})
