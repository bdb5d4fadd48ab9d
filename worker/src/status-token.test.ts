import { describe, expect, it } from 'vitest'
import { sha256Hex } from './ids.ts'
import { DERIVED_TOKEN_MARKER, deriveStatusToken, importStatusTokenKey, statusUrlOf, verifyStatusToken } from './status-token.ts'

const SECRET = '0123456789abcdef0123456789abcdef'
const ID = 'LD-0123456789AB'

describe('status tokens', () => {
  it('derives base64url(HMAC-SHA256(secret, "status-token:v1:" + id)), a stable format', async () => {
    const key = await importStatusTokenKey(SECRET)
    // Computed independently: node -e "crypto.createHmac('sha256', SECRET).update('status-token:v1:' + ID).digest('base64url')"
    expect(await deriveStatusToken(key, ID)).toBe('KGrJxMt-I_Abyyc0YIdttPgxCZ5V-kga7F_OH9FSPyc')
    expect(await statusUrlOf('https://licenses.example.com', key, ID)).toBe(
      `https://licenses.example.com/status/${ID}?t=KGrJxMt-I_Abyyc0YIdttPgxCZ5V-kga7F_OH9FSPyc`,
    )
  })

  it('gives another application and another secret another token', async () => {
    const key = await importStatusTokenKey(SECRET)
    const other = await importStatusTokenKey(`${SECRET}x`)
    const token = await deriveStatusToken(key, ID)
    expect(await deriveStatusToken(key, 'LD-0123456789AC')).not.toBe(token)
    expect(await deriveStatusToken(other, ID)).not.toBe(token)
  })

  it('accepts the derived token and refuses one of another id, a tampered, empty or foreign-secret one', async () => {
    const key = await importStatusTokenKey(SECRET)
    const token = await deriveStatusToken(key, ID)
    expect(await verifyStatusToken(key, ID, token, DERIVED_TOKEN_MARKER)).toBe(true)
    expect(await verifyStatusToken(key, ID, await deriveStatusToken(key, 'LD-0123456789AC'), DERIVED_TOKEN_MARKER)).toBe(false)
    expect(await verifyStatusToken(key, ID, `${token.slice(0, -1)}${token.endsWith('c') ? 'd' : 'c'}`, DERIVED_TOKEN_MARKER)).toBe(false)
    expect(await verifyStatusToken(key, ID, token.slice(0, -1), DERIVED_TOKEN_MARKER)).toBe(false)
    expect(await verifyStatusToken(key, ID, '', DERIVED_TOKEN_MARKER)).toBe(false)
    const foreign = await importStatusTokenKey(`${SECRET}x`)
    expect(await verifyStatusToken(key, ID, await deriveStatusToken(foreign, ID), DERIVED_TOKEN_MARKER)).toBe(false)
  })

  it('still accepts the random token of an application created before tokens were derived', async () => {
    const key = await importStatusTokenKey(SECRET)
    const legacy = 'Q2hhbmdlIG1lIQ-random-token-from-an-older-worker'
    const hash = await sha256Hex(legacy)
    expect(await verifyStatusToken(key, ID, legacy, hash)).toBe(true)
    expect(await verifyStatusToken(key, ID, `${legacy}x`, hash)).toBe(false)
    // The marker is no hash: no token hashes to it.
    expect(await verifyStatusToken(key, ID, DERIVED_TOKEN_MARKER, DERIVED_TOKEN_MARKER)).toBe(false)
  })
})
