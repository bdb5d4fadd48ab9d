import { describe, expect, it } from 'vitest'
import { clearForm, loadForm, markSubmitted, saveForm, takeSubmitted } from './form-memory.ts'
import type { SavedForm } from './form-memory.ts'

function memory() {
  const items = new Map<string, string>()
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  }
}

const form: SavedForm = {
  product: 'hypermotion',
  featureCode: 'HM-1',
  draft: { name: 'Ann', company: 'Acme', email: 'a@example.com', phone: '', featureCode: 'HM-1', quantity: '2', validityDays: 90, note: '' },
  submission: { key: 'key-1', content: '{}' },
}

describe('form memory', () => {
  it('restores the form and its Idempotency-Key for the same product and QR code, until cleared', () => {
    const store = memory()
    saveForm(store, form)
    expect(loadForm(store, 'hypermotion', 'HM-1')).toEqual(form)
    expect(loadForm(store, 'hypermotion', 'HM-2')).toBeNull()
    expect(loadForm(store, null, 'HM-1')).toBeNull()
    clearForm(store)
    expect(loadForm(store, 'hypermotion', 'HM-1')).toBeNull()
  })

  it('ignores what is not a saved form, and works without storage', () => {
    const store = memory()
    store.setItem('licensedesk:apply-form', '{not json')
    expect(loadForm(store, 'hypermotion', 'HM-1')).toBeNull()
    saveForm(null, form)
    expect(loadForm(null, 'hypermotion', 'HM-1')).toBeNull()
    const throwing = { getItem: () => { throw new Error('denied') }, setItem: () => { throw new Error('denied') }, removeItem: () => {} }
    expect(() => saveForm(throwing, form)).not.toThrow()
    expect(loadForm(throwing, 'hypermotion', 'HM-1')).toBeNull()
  })

  it('says "just submitted" once, for that application only', () => {
    const store = memory()
    markSubmitted(store, 'LD-1')
    expect(takeSubmitted(store, 'LD-2')).toBe(false)
    expect(takeSubmitted(store, 'LD-1')).toBe(true)
    expect(takeSubmitted(store, 'LD-1')).toBe(false)
  })
})
