import { describe, expect, it } from 'vitest'
import { ARMOR_BEGIN, ARMOR_END, armorLicense, dearmorLicense, MAX_JWS_LENGTH } from './armor.ts'
import { LicenseError } from './errors.ts'

const JWS = `${'a'.repeat(100)}.${'b'.repeat(60)}.${'c'.repeat(86)}`

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return error instanceof LicenseError ? error.code : `not a LicenseError: ${error}`
  }
  return undefined
}

describe('armorLicense', () => {
  it('wraps the JWS at 64 characters between the markers, LF line ends and a final newline', () => {
    const lines = armorLicense(JWS).split('\n')
    expect(lines[0]).toBe(ARMOR_BEGIN)
    expect(lines.at(-2)).toBe(ARMOR_END)
    expect(lines.at(-1)).toBe('')
    const body = lines.slice(1, -2)
    expect(body.slice(0, -1).every((line) => line.length === 64)).toBe(true)
    expect(body.join('')).toBe(JWS)
  })
})

describe('dearmorLicense', () => {
  it('ignores text outside the markers and whitespace, CRLF and indentation inside', () => {
    const inside = `\r\n  ${JWS.slice(0, 30)}\r\n\t${JWS.slice(30)} \r\n`
    const pasted = `Hello,\r\n> ${ARMOR_BEGIN}${inside}${ARMOR_END}\r\nBye`
    expect(dearmorLicense(pasted)).toBe(JWS)
  })

  it('reads the first license when there are several', () => {
    expect(dearmorLicense(armorLicense(JWS) + armorLicense('x.y.z'))).toBe(JWS)
  })

  it('rejects text without the markers with BAD_ARMOR', () => {
    expect(codeOf(() => dearmorLicense(JWS))).toBe('BAD_ARMOR')
    expect(codeOf(() => dearmorLicense(`${ARMOR_BEGIN}\n${JWS}\n`))).toBe('BAD_ARMOR')
    expect(codeOf(() => dearmorLicense(`${ARMOR_END}\n${JWS}\n${ARMOR_BEGIN}`))).toBe('BAD_ARMOR')
  })

  it('rejects an armored block that is not three base64url parts with BAD_ARMOR', () => {
    for (const inner of ['', 'a.b', 'a.b.c.d', 'a+b.c.d', 'a.b.c=', 'a..c']) {
      expect(codeOf(() => dearmorLicense(armorLicense(inner))), inner).toBe('BAD_ARMOR')
    }
  })

  it('rejects an oversized license with BAD_ARMOR', () => {
    const big = `${'a'.repeat(MAX_JWS_LENGTH)}.b.c`
    expect(codeOf(() => dearmorLicense(armorLicense(big)))).toBe('BAD_ARMOR')
  })

  it('rejects a value that is not text with BAD_ARMOR', () => {
    expect(codeOf(() => dearmorLicense(42 as unknown as string))).toBe('BAD_ARMOR')
  })
})
