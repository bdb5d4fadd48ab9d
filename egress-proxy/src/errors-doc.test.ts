import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PROXY_ERROR_CODES, READINESS_CODES } from './errors.ts'

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
const proxySection = doc.split(/^## /m).find((s) => s.startsWith('Egress proxy')) ?? ''
const readinessSection = doc.split(/^## /m).find((s) => s.startsWith('Readiness checks')) ?? ''

describe('docs/errors.md', () => {
  it('lists every code the proxy can answer', () => {
    const missing = PROXY_ERROR_CODES.filter((code) => !doc.includes(`| \`${code}\` |`))
    expect(missing).toEqual([])
  })

  it('lists the proxy-only codes in the Egress proxy section', () => {
    const own = PROXY_ERROR_CODES.filter((code) => !code.startsWith('PROOF_'))
    expect(own.filter((code) => !proxySection.includes(`| \`${code}\` |`))).toEqual([])
  })

  it('lists no code in the Egress proxy section that the proxy cannot answer', () => {
    const listed = [...proxySection.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1])
    expect(listed.filter((code) => !(PROXY_ERROR_CODES as readonly string[]).includes(code))).toEqual([])
  })

  it('lists every readiness check code in the Readiness checks section', () => {
    expect(READINESS_CODES.filter((code) => !readinessSection.includes(`| \`${code}\` |`))).toEqual([])
  })
})
