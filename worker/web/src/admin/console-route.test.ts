import { describe, expect, it } from 'vitest'
import { hrefOf, parseConsoleRoute, viewOf } from './console-route.ts'

describe('parseConsoleRoute', () => {
  it('reads each view from its address, with or without a trailing slash', () => {
    expect(parseConsoleRoute('/admin')).toEqual({ name: 'applications' })
    expect(parseConsoleRoute('/admin/')).toEqual({ name: 'applications' })
    expect(parseConsoleRoute('/admin/index.html')).toEqual({ name: 'applications' })
    expect(parseConsoleRoute('/admin/attention/')).toEqual({ name: 'attention' })
    expect(parseConsoleRoute('/admin/health')).toEqual({ name: 'health' })
    expect(parseConsoleRoute('/admin/licenses')).toEqual({ name: 'licenses' })
    expect(parseConsoleRoute('/admin/applications/LD-2026-ABC')).toEqual({ name: 'application', id: 'LD-2026-ABC' })
  })

  it('answers notFound for anything else, a badly escaped id included', () => {
    expect(parseConsoleRoute('/admin/nothing')).toEqual({ name: 'notFound' })
    expect(parseConsoleRoute('/admin/applications/a/b')).toEqual({ name: 'notFound' })
    expect(parseConsoleRoute('/admin/applications/%E0%A4%A')).toEqual({ name: 'notFound' })
  })
})

describe('hrefOf', () => {
  it('writes addresses parseConsoleRoute reads back, escaping the id', () => {
    for (const route of [{ name: 'applications' }, { name: 'attention' }, { name: 'health' }, { name: 'licenses' }, { name: 'application', id: 'LD-1/2?x' }] as const) {
      expect(parseConsoleRoute(hrefOf(route))).toEqual(route)
    }
    expect(hrefOf({ name: 'application', id: 'LD-1/2?x' })).toBe('/admin/applications/LD-1%2F2%3Fx')
  })

  it('puts one application under the applications tab', () => {
    expect(viewOf({ name: 'application', id: 'LD-1' })).toBe('applications')
    expect(viewOf({ name: 'notFound' })).toBeNull()
  })
})
