import { describe, expect, it } from 'vitest'
import { classifyMailFailure, isFinalFailure } from './failure.ts'

describe('classifyMailFailure', () => {
  it('treats a 422 validation_error and other 4xx answers as permanent for the payload', () => {
    expect(classifyMailFailure({ statusCode: 422, name: 'validation_error' })).toBe('permanent')
    expect(classifyMailFailure({ statusCode: 422, name: 'invalid_attachment' })).toBe('permanent')
    expect(classifyMailFailure({ statusCode: 400, name: 'invalid_idempotency_key' })).toBe('permanent')
    expect(classifyMailFailure({ statusCode: 413, name: 'validation_error' })).toBe('permanent')
    expect(classifyMailFailure({ statusCode: 451, name: 'security_error' })).toBe('permanent')
  })

  it('backs off on network failures, timeouts, throttling and server errors', () => {
    expect(classifyMailFailure({ statusCode: null, name: 'application_error' })).toBe('retry')
    expect(classifyMailFailure({ statusCode: 408, name: 'application_error' })).toBe('retry')
    expect(classifyMailFailure({ statusCode: 500, name: 'internal_server_error' })).toBe('retry')
    expect(classifyMailFailure({ statusCode: 503, name: 'application_error' })).toBe('retry')
  })

  it('treats a 429 as rate limited (retry-after is honoured, not a failed attempt)', () => {
    expect(classifyMailFailure({ statusCode: 429, name: 'rate_limit_exceeded' })).toBe('rate_limited')
    expect(classifyMailFailure({ statusCode: 429, name: 'daily_quota_exceeded' })).toBe('rate_limited')
  })

  it('keeps retrying a refused API key (401/403): an operator fixes it and the same mail goes out', () => {
    expect(classifyMailFailure({ statusCode: 401, name: 'missing_api_key' })).toBe('misconfigured')
    expect(classifyMailFailure({ statusCode: 403, name: 'invalid_api_key' })).toBe('misconfigured')
    expect(isFinalFailure('misconfigured')).toBe(false)
  })

  it('retries a concurrent idempotent request soon and fails a payload changed under the same key', () => {
    expect(classifyMailFailure({ statusCode: 409, name: 'concurrent_idempotent_requests' })).toBe('retry_soon')
    expect(classifyMailFailure({ statusCode: 409, name: 'invalid_idempotent_request' })).toBe('payload_changed')
    expect(classifyMailFailure({ statusCode: 409, name: 'something_new' })).toBe('retry')
    expect(isFinalFailure('payload_changed')).toBe(true)
    expect(isFinalFailure('permanent')).toBe(true)
    expect(isFinalFailure('retry_soon')).toBe(false)
  })
})
