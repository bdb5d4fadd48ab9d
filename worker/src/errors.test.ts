import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { PROOF_ERROR_CODES } from '../../proof/src/index.ts'
import { ERROR_CODES } from './errors.ts'
import { FIELD_CODES } from './validation.ts'

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}`)
  if (start < 0) return ''
  const next = markdown.indexOf('\n## ', start + 3)
  return markdown.slice(start, next < 0 ? undefined : next)
}

describe('docs/errors.md', () => {
  it('lists every error code the worker answers with', () => {
    const worker = section(env.ERRORS_MD, 'Worker (public API)')
    const missing = ERROR_CODES.filter((code) => !worker.includes(`\`${code}\``))
    expect(missing).toEqual([])
  })

  it('lists every validation field code', () => {
    const worker = section(env.ERRORS_MD, 'Worker (public API)')
    expect(FIELD_CODES.filter((code) => !worker.includes(`\`${code}\``))).toEqual([])
  })

  it('lists every proof code the worker can answer on /internal/events', () => {
    expect(PROOF_ERROR_CODES.filter((code) => !env.ERRORS_MD.includes(`\`${code}\``))).toEqual([])
  })
})
