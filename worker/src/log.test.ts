import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger, logLevelOf, redact } from './log.ts'

const PROOF = 'eyJhbGciOiJFZERTQSIsImtpZCI6ImFiYyIsInR5cCI6InByb29mK2p3dCJ9.eyJhdWQiOiJsaWNlbnNlZGVzayJ9.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl'

afterEach(() => vi.restoreAllMocks())

function captured(): { lines: () => Record<string, unknown>[] } {
  const out: string[] = []
  for (const method of ['log', 'warn', 'error'] as const) vi.spyOn(console, method).mockImplementation((line: string) => void out.push(line))
  return { lines: () => out.map((line) => JSON.parse(line)) }
}

describe('the worker logger', () => {
  it('censors secret field names at any depth, whatever their case', () => {
    expect(redact({ apiKey: 're_x', nested: { Authorization: 'Bearer y', list: [{ privateJwk: { d: 'z' } }] }, ok: 1 })).toEqual({
      apiKey: '[Redacted]',
      nested: { Authorization: '[Redacted]', list: [{ privateJwk: '[Redacted]' }] },
      ok: 1,
    })
  })

  it('censors a pickup device code, under either spelling', () => {
    expect(redact({ device_code: 'dc-secret', body: { deviceCode: 'dc-secret' }, user_code: 'BCDF-GHJK' })).toEqual({
      device_code: '[Redacted]',
      body: { deviceCode: '[Redacted]' },
      user_code: 'BCDF-GHJK',
    })
  })

  it('censors a compact JWS or a private JWK inside any string', () => {
    expect(redact(`proof ${PROOF} refused`)).toBe('proof [Redacted] refused')
    expect(redact('{"kty":"OKP","crv":"Ed25519","x":"abc","d":"c2VjcmV0"}')).toBe('{"kty":"OKP","crv":"Ed25519","x":"abc","d":"[Redacted]"}')
  })

  it('writes JSON lines with the request id and censors what a caller passed by mistake', () => {
    const out = captured()
    createLogger({ requestId: 'r-1' }).child({ applicationId: 'A' }).info('sent', { resendApiKey: 're_live_secret', message: PROOF })
    expect(out.lines()).toEqual([expect.objectContaining({ level: 'info', msg: 'sent', requestId: 'r-1', applicationId: 'A', resendApiKey: '[Redacted]', message: '[Redacted]' })])
  })

  it('drops lines below its level, children included, and reads LOG_LEVEL', () => {
    const out = captured()
    const log = createLogger({}, { level: logLevelOf('WARN') })
    log.debug('d')
    log.info('i')
    log.child({ x: 1 }).info('child info')
    log.warn('w')
    expect(out.lines().map((line) => line.msg)).toEqual(['w'])
    expect(logLevelOf(undefined)).toBe('info')
    expect(logLevelOf('verbose')).toBe('info')
    expect(logLevelOf('debug')).toBe('debug')
  })
})
