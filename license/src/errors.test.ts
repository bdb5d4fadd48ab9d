import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { LICENSE_ERROR_CODES, LicenseError, LicenseTermsError } from './errors.ts'

const errorsDoc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
const section = errorsDoc.split(/^## /m).find((part) => part.startsWith('License verification')) ?? ''

describe('license error codes', () => {
  it('are all listed in the License verification table of docs/errors.md', () => {
    const codes = [...LICENSE_ERROR_CODES, new LicenseTermsError({}).code]
    const missing = codes.filter((code) => !section.includes(`| \`${code}\` |`))
    expect(missing).toEqual([])
  })

  it('list no code in docs/errors.md that the toolkit cannot produce', () => {
    const listed = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1])
    expect(listed.sort()).toEqual([...LICENSE_ERROR_CODES, 'INVALID_LICENSE_TERMS'].sort())
  })

  it('carry their code and cause', () => {
    const cause = new Error('root')
    const error = new LicenseError('EXPIRED', 'the license expired', { cause })
    expect(error).toMatchObject({ name: 'LicenseError', code: 'EXPIRED', cause })
    expect(error).toBeInstanceOf(Error)
  })
})
