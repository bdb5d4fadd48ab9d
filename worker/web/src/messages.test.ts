import { describe, expect, it } from 'vitest'
import { ApiError } from './api.ts'
import { fieldErrorMessage, requestErrorMessage } from './messages.ts'
import { FIELDS } from './validation.ts'

const CODES = [
  'REQUIRED',
  'TOO_LONG',
  'INVALID_EMAIL',
  'INVALID_FORMAT',
  'OUT_OF_RANGE',
  'NOT_ALLOWED',
]
const bounds = { quantity: { min: 1, max: 50 } }

describe('fieldErrorMessage', () => {
  it('words every server code for every field in both languages, placeholders filled', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const field of FIELDS) {
        for (const code of CODES) {
          const text = fieldErrorMessage(locale, field, code, bounds)
          expect(text, `${locale} ${field} ${code}`).not.toMatch(/[{}]|err\.|undefined/)
          expect(text.length).toBeGreaterThan(3)
        }
      }
    }
  })

  it("prefers a field's own message, with the configured quantity bounds", () => {
    expect(fieldErrorMessage('en', 'quantity', 'OUT_OF_RANGE', bounds)).toBe(
      'Enter a number from 1 to 50',
    )
    expect(fieldErrorMessage('zh-CN', 'quantity', 'OUT_OF_RANGE', bounds)).toBe(
      '数量须在 1 到 50 之间',
    )
    expect(fieldErrorMessage('en', 'name', 'REQUIRED')).toBe('Please enter your name')
  })

  it('falls back to the generic message of the code, naming the field', () => {
    expect(fieldErrorMessage('en', 'note', 'TOO_LONG')).toBe('Note must be at most 1000 characters')
    expect(fieldErrorMessage('zh-CN', 'company', 'TOO_LONG')).toBe('公司最多 200 个字符')
    expect(fieldErrorMessage('en', 'phone', 'REQUIRED')).toBe('Phone is required')
  })

  it('answers an unknown code with a generic "invalid" message', () => {
    expect(fieldErrorMessage('en', 'email', 'SOMETHING_NEW')).toBe('Email is invalid')
    expect(fieldErrorMessage('zh-CN', 'email', 'SOMETHING_NEW')).toBe('邮箱无效')
  })

  it('names a field the form does not show by its own label, or by its wire name', () => {
    expect(fieldErrorMessage('en', 'product', 'NOT_ALLOWED')).toBe(
      'This product cannot be requested here',
    )
    expect(fieldErrorMessage('en', 'locale', 'NOT_ALLOWED')).toBe('Language is not accepted')
    expect(fieldErrorMessage('en', 'mystery', 'REQUIRED')).toBe('mystery is required')
  })
})

describe('requestErrorMessage', () => {
  it('has a specific message for network failures, size and rate limits', () => {
    expect(requestErrorMessage('en', new ApiError(0, 'NETWORK_ERROR', null))).toMatch(/connection/)
    expect(requestErrorMessage('en', new ApiError(413, 'PAYLOAD_TOO_LARGE', null))).toMatch(/note/)
    expect(requestErrorMessage('zh-CN', new ApiError(429, 'RATE_LIMITED', null))).toMatch(/稍等/)
  })

  it('words the pending limits in both languages, naming the pending application by its id only', () => {
    const taken = new ApiError(409, 'APPLICATION_PENDING', { error: { code: 'APPLICATION_PENDING' }, existingId: 'LD-ABC' })
    expect(requestErrorMessage('en', taken)).toMatch(/already awaiting review \(application LD-ABC\)/)
    expect(requestErrorMessage('zh-CN', taken)).toContain('申请编号 LD-ABC')
    expect(requestErrorMessage('en', new ApiError(409, 'APPLICATION_PENDING', null))).not.toMatch(/[{}]/)
    const busy = new ApiError(429, 'TOO_MANY_PENDING', null)
    expect(requestErrorMessage('en', busy)).toMatch(/wait for a decision/)
    expect(requestErrorMessage('zh-CN', busy)).toMatch(/等待审批/)
  })

  it('shows the code of any other error and says the entries are kept', () => {
    const text = requestErrorMessage('en', new ApiError(500, 'INTERNAL', null))
    expect(text).toContain('(INTERNAL)')
    expect(text).toMatch(/entries are kept/)
    expect(requestErrorMessage('zh-CN', new Error('boom'))).toContain('（UNEXPECTED）')
  })
})
