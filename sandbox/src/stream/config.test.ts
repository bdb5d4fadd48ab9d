import { describe, expect, it } from 'vitest'
import { defineSandboxConfig, readSandboxConfig } from '../config.ts'
import { SandboxConfigError } from '../errors.ts'

function variableOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof SandboxConfigError ? error.variable : 'OTHER'
  }
  return undefined
}

describe('sandbox Stream settings', () => {
  it('defaults to HTTP push, spread mode, 20 s pings and 60 s redelivery', () => {
    const config = readSandboxConfig({})
    expect(config.events).toBe('http')
    expect(config.stream).toEqual({ mode: 'spread', pingMs: 20_000, redeliverMs: 60_000, attempts: 3, ticketTtlMs: 60_000 })
    expect(Object.isFrozen(config.stream)).toBe(true)
  })

  it('reads SANDBOX_EVENTS and the SANDBOX_STREAM_* variables', () => {
    const config = readSandboxConfig({
      SANDBOX_EVENTS: 'stream',
      SANDBOX_STREAM_MODE: 'takeover',
      SANDBOX_STREAM_PING_MS: '500',
      SANDBOX_STREAM_REDELIVER_MS: '2000',
      SANDBOX_STREAM_ATTEMPTS: '5',
      SANDBOX_STREAM_TICKET_TTL_MS: '9000',
    })
    expect(config.events).toBe('stream')
    expect(config.stream).toEqual({ mode: 'takeover', pingMs: 500, redeliverMs: 2000, attempts: 5, ticketTtlMs: 9000 })
  })

  it('names the variable of a bad value', () => {
    expect(variableOf(() => readSandboxConfig({ SANDBOX_EVENTS: 'webhook' }))).toBe('SANDBOX_EVENTS')
    expect(variableOf(() => readSandboxConfig({ SANDBOX_STREAM_MODE: 'random' }))).toBe('SANDBOX_STREAM_MODE')
    expect(variableOf(() => readSandboxConfig({ SANDBOX_STREAM_PING_MS: 'soon' }))).toBe('SANDBOX_STREAM_PING_MS')
    expect(variableOf(() => readSandboxConfig({ SANDBOX_STREAM_PING_MS: '0' }))).toBe('SANDBOX_STREAM_PING_MS')
    expect(variableOf(() => readSandboxConfig({ SANDBOX_STREAM_REDELIVER_MS: '5' }))).toBe('SANDBOX_STREAM_REDELIVER_MS')
    expect(variableOf(() => readSandboxConfig({ SANDBOX_STREAM_ATTEMPTS: '0' }))).toBe('SANDBOX_STREAM_ATTEMPTS')
    expect(variableOf(() => readSandboxConfig({ SANDBOX_STREAM_TICKET_TTL_MS: '-1' }))).toBe('SANDBOX_STREAM_TICKET_TTL_MS')
    expect(variableOf(() => defineSandboxConfig({ stream: { attempts: 1000 } }))).toBe('SANDBOX_STREAM_ATTEMPTS')
  })
})
