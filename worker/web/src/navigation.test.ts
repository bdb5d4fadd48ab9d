import { describe, expect, it } from 'vitest'
import { statusPath } from './navigation.ts'

describe('statusPath', () => {
  it('keeps the path and token of a status link, whatever its origin', () => {
    expect(statusPath('https://licenses.example.com/status/LD-1?t=abc', 'http://localhost:8787')).toBe('/status/LD-1?t=abc')
  })

  it('refuses what is not a status link with a token', () => {
    expect(statusPath('', 'http://localhost')).toBeNull()
    expect(statusPath('https://x.example/status/LD-1', 'http://localhost')).toBeNull()
    expect(statusPath('javascript:alert(1)//status/x?t=1', 'http://localhost')).toBeNull()
    expect(statusPath('https://x.example/apply?t=1', 'http://localhost')).toBeNull()
  })
})
