// The sandbox Access's user directory: which groups each email is in, as an IdP would tell Access,
// and the identity document `GET /cdn-cgi/access/get-identity` answers from it. Defaults match
// wrangler.toml's ADMIN_OPERATOR_GROUPS / ADMIN_VIEWER_GROUPS; the control API changes them.
import { createHash } from 'node:crypto'
import { SandboxError } from '../errors.ts'
import { isRecord } from '../http.ts'

export type DirectoryGroup = { id: string; name: string; email: string }
/** Group names per lower-cased email. */
export type Directory = Map<string, string[]>

export const OPERATOR_GROUP = 'license-desk-operators'
export const VIEWER_GROUP = 'license-desk-viewers'

/** ops@ and viewer@ are also on wrangler.toml's email lists; grouped@ is on none, an operator by group only. */
export const DEFAULT_DIRECTORY: readonly (readonly [string, readonly string[]])[] = [
  ['ops@licensedesk.local', [OPERATOR_GROUP]],
  ['viewer@licensedesk.local', [VIEWER_GROUP]],
  ['grouped@licensedesk.local', [OPERATOR_GROUP]],
]

const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/
const GROUP_NAME = /^[\w .:@()-]{1,100}$/
const MAX_GROUPS = 50

export function createDirectory(): Directory {
  return new Map(DEFAULT_DIRECTORY.map(([email, groups]) => [email, [...groups]]))
}

/** A UUID shaped from `seed`: stable per name, as Access's ids are per group and user. */
export function uuidOf(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** A group as get-identity lists it: the IdP's id (here derived from the name), name and email. */
export function groupOf(name: string): DirectoryGroup {
  return { id: uuidOf(`group:${name}`), name, email: `${name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-')}@groups.licensedesk.local` }
}

/** `POST /_sandbox/access/users` body: `{ email, groups: [name] }`; throws SANDBOX_BAD_REQUEST. */
export function parseUser(input: unknown): { email: string; groups: string[] } {
  if (!isRecord(input)) throw new SandboxError('SANDBOX_BAD_REQUEST', 'the body must be a JSON object')
  const email = typeof input.email === 'string' ? input.email.trim() : ''
  if (!ADDRESS.test(email) || email.length > 254) throw new SandboxError('SANDBOX_BAD_REQUEST', 'email must be an email address')
  const { groups } = input
  if (!Array.isArray(groups) || groups.length > MAX_GROUPS) throw new SandboxError('SANDBOX_BAD_REQUEST', `groups must be an array of at most ${MAX_GROUPS} group names`)
  if (!groups.every((group): group is string => typeof group === 'string' && GROUP_NAME.test(group))) {
    throw new SandboxError('SANDBOX_BAD_REQUEST', 'each group must be a name of 1-100 letters, digits, spaces or . : @ ( ) _ -')
  }
  return { email: email.toLowerCase(), groups: [...new Set(groups)] }
}

export function listUsers(directory: Directory): { email: string; groups: string[] }[] {
  return [...directory].map(([email, groups]) => ({ email, groups: [...groups] }))
}

/**
 * The identity document for a verified token's claims: the members the worker reads (`email`,
 * `groups` with `id`/`name`/`email`) and a few others of Access's (`id`, `user_uuid`, `idp`, `iat`,
 * `ip`, `version`). Real Access sends more (device posture, geo, amr, …).
 */
export function identityOf(claims: Record<string, unknown>, directory: Directory): Record<string, unknown> {
  const email = String(claims.email)
  const sub = typeof claims.sub === 'string' ? claims.sub : uuidOf(`user:${email.toLowerCase()}`)
  return {
    id: sub,
    name: email.split('@')[0],
    email,
    groups: (directory.get(email.toLowerCase()) ?? []).map(groupOf),
    idp: { id: uuidOf('idp:sandbox'), type: 'onetimepin' },
    user_uuid: sub,
    iat: claims.iat,
    ip: '127.0.0.1',
    geo: { country: 'CN' },
    version: 2,
  }
}
