// Compact RS256 JWTs with node:crypto: how the sandbox signs Access application tokens, and how its
// front door checks the CF_Authorization cookie before it forwards a request.
import { sign, verify } from 'node:crypto'
import type { AccessKey, AccessKeys } from './keys.ts'

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

export function signJwt(payload: Record<string, unknown>, key: AccessKey): string {
  const input = `${encode({ alg: 'RS256', kid: key.kid, typ: 'JWT' })}.${encode(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`
}

function decode(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The payload of a token signed (RS256) by a listed key, unexpired at `now`, for `aud`; else undefined. */
export function verifyJwt(token: string, keys: AccessKeys, options: { aud: string; now: number }): Record<string, unknown> | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const header = decode(parts[0])
  const payload = decode(parts[1])
  if (!header || !payload || header.alg !== 'RS256') return undefined
  const key = keys.listed.find((candidate) => candidate.kid === header.kid)
  if (!key || !verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key.publicKey, Buffer.from(parts[2], 'base64url'))) return undefined
  const seconds = Math.floor(options.now / 1000)
  if (typeof payload.exp !== 'number' || payload.exp <= seconds) return undefined
  if (!Array.isArray(payload.aud) || !payload.aud.includes(options.aud)) return undefined
  return payload
}
