import { describe, expect, it } from 'vitest'
import { parseRoute, safeHref } from './route.ts'

describe('parseRoute', () => {
  it('reads the feature code and product from the QR code link', () => {
    expect(parseRoute('/apply', '?fc=AB%2BCD&product=hypermotion&c=015505')).toEqual({
      name: 'apply',
      featureCode: 'AB+CD',
      check: '015505',
      product: 'hypermotion',
    })
  })

  it('serves the form at / and /apply/ with nothing prefilled', () => {
    const empty = { name: 'apply', featureCode: null, check: null, product: null }
    expect(parseRoute('/', '')).toEqual(empty)
    expect(parseRoute('/apply/', '?fc=')).toEqual(empty)
  })

  it('reads a renewal link: the license and its token, both or neither', () => {
    expect(parseRoute('/apply', '?renew=LIC-ABC&t=tok_-1')).toEqual({ name: 'apply', featureCode: null, check: null, product: null, renew: { licenseId: 'LIC-ABC', token: 'tok_-1' } })
    expect(parseRoute('/apply', '?renew=LIC-ABC')).not.toHaveProperty('renew')
    expect(parseRoute('/apply', '?t=tok')).not.toHaveProperty('renew')
  })

  it('reads the pickup page, with a code to prefill when the address carries one', () => {
    expect(parseRoute('/pickup', '')).toEqual({ name: 'pickup', code: null })
    expect(parseRoute('/pickup/', '?code=wdjb-mjht')).toEqual({ name: 'pickup', code: 'wdjb-mjht' })
    expect(parseRoute('/pickup', `?code=${'B'.repeat(100)}`)).toEqual({ name: 'pickup', code: 'B'.repeat(64) })
  })

  it('reads the id and token of a status link', () => {
    expect(parseRoute('/status/app%201', '?t=tok')).toEqual({
      name: 'status',
      id: 'app 1',
      token: 'tok',
    })
    expect(parseRoute('/status/app1/', '')).toEqual({ name: 'status', id: 'app1', token: null })
  })

  it('answers other paths and broken escapes with notFound', () => {
    expect(parseRoute('/admin', '').name).toBe('notFound')
    expect(parseRoute('/status/a/b', '').name).toBe('notFound')
    expect(parseRoute('/status/%E0%A4%A', '').name).toBe('notFound')
  })
})

describe('safeHref', () => {
  it('accepts http(s) links and refuses script or data URLs', () => {
    const base = 'https://portal.example'
    expect(safeHref('https://portal.example/status/1?t=x', base)).toBe(
      'https://portal.example/status/1?t=x',
    )
    expect(safeHref('/status/1?t=x', base)).toBe('https://portal.example/status/1?t=x')
    expect(safeHref('javascript:alert(1)', base)).toBeNull()
    expect(safeHref('data:text/html,hi', base)).toBeNull()
  })
})

describe('the apply route with a pickup', () => {
  it('reads a well-formed pickup user code from p, and leaves a malformed one out', () => {
    expect(parseRoute('/apply', '?product=demo&fc=HM1&c=abcdef&p=BCDF-GHJK')).toMatchObject({ name: 'apply', pickup: 'BCDF-GHJK' })
    expect(parseRoute('/apply', '?fc=HM1&p=%3Cscript%3E')).not.toHaveProperty('pickup')
    expect(parseRoute('/apply', '?fc=HM1')).not.toHaveProperty('pickup')
  })
})
