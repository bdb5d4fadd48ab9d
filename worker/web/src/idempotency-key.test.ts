import { describe, expect, it } from 'vitest'
import type { ApplicationInput } from './api.ts'
import { keyForSubmission, randomKey } from './idempotency-key.ts'

const input: ApplicationInput = {
  name: 'Ann',
  company: 'Acme',
  email: 'ann@example.com',
  featureCode: 'ABCD1234',
  quantity: 1,
  validityDays: 30,
  locale: 'en',
  product: 'hypermotion',
}

function counter() {
  let n = 0
  return () => `key-${++n}`
}

describe('keyForSubmission', () => {
  it('makes a key for the first submission', () => {
    expect(keyForSubmission(null, input, counter()).key).toBe('key-1')
  })

  it('reuses the key when the same content is sent again', () => {
    const next = counter()
    const first = keyForSubmission(null, input, next)
    const retry = keyForSubmission(first, { ...input }, next)
    expect(retry.key).toBe('key-1')
  })

  it('makes a new key once any field or the language changed', () => {
    const next = counter()
    const first = keyForSubmission(null, input, next)
    const edited = keyForSubmission(first, { ...input, quantity: 2 }, next)
    expect(edited.key).toBe('key-2')
    expect(keyForSubmission(edited, { ...input, quantity: 2, locale: 'zh-CN' }, next).key).toBe('key-3')
  })
})

describe('randomKey', () => {
  it('gives distinct keys the worker accepts (1-128 of A-Z a-z 0-9 _ -)', () => {
    const keys = new Set(Array.from({ length: 50 }, randomKey))
    expect(keys.size).toBe(50)
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{1,128}$/)
  })
})
