import { describe, expect, it } from 'vitest'
import { applyLink, PICKUP_PATTERN } from './apply-link.ts'
import { verifyFeatureCodeCheck } from './feature-code-check.ts'

describe('applyLink', () => {
  it('carries product, feature code and its check value, decodable as the page reads it', async () => {
    const link = await applyLink({ origin: 'https://licenses.example.com', product: 'hypermotion', featureCode: 'HM7F3A9C2B' })
    expect(link).toBe('https://licenses.example.com/apply?product=hypermotion&fc=HM7F3A9C2B&c=015505')
  })

  it('percent-encodes a feature code with + and spaces, and adds pickup and language only when given', async () => {
    const featureCode = 'a+b c/d=&'
    const link = new URL(await applyLink({ origin: 'https://p.example', product: 'hm', featureCode, pickup: 'WDJB-MJHT', lang: 'en' }))
    expect(link.searchParams.get('fc')).toBe(featureCode)
    expect(await verifyFeatureCodeCheck(featureCode, link.searchParams.get('c')!)).toBe(true)
    expect(link.searchParams.get('p')).toBe('WDJB-MJHT')
    expect(link.searchParams.get('lang')).toBe('en')
    const plain = new URL(await applyLink({ origin: 'https://p.example', product: 'hm', featureCode: 'X1' }))
    expect([...plain.searchParams.keys()]).toEqual(['product', 'fc', 'c'])
  })

  it('accepts pickup codes of 4–64 letters, digits and dashes only', () => {
    expect(PICKUP_PATTERN.test('WDJB-MJHT')).toBe(true)
    expect(PICKUP_PATTERN.test('abc')).toBe(false)
    expect(PICKUP_PATTERN.test('a'.repeat(65))).toBe(false)
    expect(PICKUP_PATTERN.test('WDJB MJHT')).toBe(false)
  })
})
