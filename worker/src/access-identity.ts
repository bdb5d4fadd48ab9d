// A console person's role from the staff lists and, when group lists are set, from their Access
// groups: app tokens carry none, so they come from the team's get-identity endpoint, asked with the
// person's token as the CF_Authorization cookie and cached per isolate (docs/console.md, "Roles").
import type { AccessIdentity } from './access.ts'
import { AccessError } from './errors.ts'
import type { Logger } from './log.ts'
import { groupRoleOf, roleOf, type AccessGroup, type Role, type StaffPattern } from './staff.ts'

export const IDENTITY_TIMEOUT_MS = 5000
/** Groups change in the IdP without the token changing: look again at least this often. */
export const GROUPS_CACHE_MAX_AGE_MS = 5 * 60_000
/** Tokens per isolate whose groups are kept; the oldest goes first. */
export const GROUPS_CACHE_MAX_ENTRIES = 1000

export type RoleLists = Readonly<{
  operators: readonly StaffPattern[]
  viewers: readonly StaffPattern[]
  operatorGroups: readonly string[]
  viewerGroups: readonly string[]
  identityUrl: string
}>

export type ResolveRoleOptions = Readonly<{
  /** The verified token: its email (non-null) and `exp`. */
  identity: AccessIdentity & { email: string }
  token: string
  lists: RoleLists
  now: number
  log: Pick<Logger, 'info' | 'warn'>
  fetch?: typeof fetch
  cache?: GroupsCache
}>

/** get-identity could not be asked (network, timeout, non-200, not JSON): not the person's fault. */
export class IdentityUnavailableError extends Error {
  readonly reason: string
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the Access identity endpoint is unavailable: ${reason}`, options)
    this.reason = reason
  }
}

/** Groups per token hash, until min(token exp, 5 min); bounded, oldest evicted first. */
export class GroupsCache {
  private readonly entries = new Map<string, { groups: readonly AccessGroup[]; until: number }>()
  private readonly maxEntries: number
  constructor(maxEntries = GROUPS_CACHE_MAX_ENTRIES) {
    this.maxEntries = maxEntries
  }

  get(key: string, now: number): readonly AccessGroup[] | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.until > now) return entry.groups
    this.entries.delete(key)
    return undefined
  }

  set(key: string, groups: readonly AccessGroup[], until: number): void {
    this.entries.delete(key)
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
    this.entries.set(key, { groups, until })
  }

  get size(): number {
    return this.entries.size
  }
}

// One cache per identity URL and isolate, as access.ts keeps one key set per certs URL.
const caches = new Map<string, GroupsCache>()

function cacheFor(identityUrl: string): GroupsCache {
  let cache = caches.get(identityUrl)
  if (!cache) {
    cache = new GroupsCache()
    caches.set(identityUrl, cache)
  }
  return cache
}

/** The cache key: the token's SHA-256, so the token itself is never kept. */
export async function tokenKey(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const stringOrNull = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null)

export type IdentityGroups = Readonly<{ groups: readonly AccessGroup[]; ignored: string | null }>

/**
 * Reads an identity answer for the person `email`: their groups, or none with the reason when the
 * answer is not an object, has no `groups` array of objects, or is about someone else.
 */
export function groupsOfIdentity(body: unknown, email: string): IdentityGroups {
  const none = (ignored: string): IdentityGroups => ({ groups: [], ignored })
  if (!isRecord(body)) return none('not a JSON object')
  if (typeof body.email !== 'string' || body.email.toLowerCase() !== email.toLowerCase()) return none('email differs from the token')
  if (!Array.isArray(body.groups)) return none('groups is not an array')
  if (!body.groups.every(isRecord)) return none('groups holds a non-object')
  const groups = body.groups.map((group) => Object.freeze({ id: stringOrNull(group.id), name: stringOrNull(group.name) }))
  return { groups, ignored: null }
}

/** GET get-identity with the token as CF_Authorization; throws IdentityUnavailableError. */
export async function fetchIdentity(identityUrl: string, token: string, fetchImpl: typeof fetch): Promise<unknown> {
  let response: Response
  try {
    response = await fetchImpl(identityUrl, {
      headers: { cookie: `CF_Authorization=${token}`, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(IDENTITY_TIMEOUT_MS),
    })
  } catch (cause) {
    const timeout = cause instanceof Error && cause.name === 'TimeoutError'
    throw new IdentityUnavailableError(timeout ? `no answer within ${IDENTITY_TIMEOUT_MS} ms` : 'cannot be reached', { cause })
  }
  if (response.status !== 200) {
    await response.body?.cancel()
    throw new IdentityUnavailableError(`answered ${response.status}`)
  }
  try {
    return await response.json()
  } catch (cause) {
    throw new IdentityUnavailableError('answered a body that is not JSON', { cause })
  }
}

/**
 * The person's role: operator by the email lists; else, when group lists are set, by their groups;
 * else viewer by the email lists; else null. Throws AccessError ACCESS_UNAVAILABLE when only the
 * groups could give a role and get-identity cannot be asked.
 */
export async function resolveRole(options: ResolveRoleOptions): Promise<Role | null> {
  const { identity, lists, log } = options
  const byEmail = roleOf(identity.email, lists)
  if (byEmail === 'operator') return byEmail
  if (lists.operatorGroups.length === 0 && lists.viewerGroups.length === 0) return byEmail

  const cache = options.cache ?? cacheFor(lists.identityUrl)
  const key = await tokenKey(options.token)
  let groups = cache.get(key, options.now)
  if (!groups) {
    let body: unknown
    try {
      body = await fetchIdentity(lists.identityUrl, options.token, options.fetch ?? ((input, init) => fetch(input, init)))
    } catch (err) {
      if (!(err instanceof IdentityUnavailableError)) throw err
      log.warn('access identity unavailable', { reason: err.reason, fallback: byEmail })
      if (byEmail) return byEmail
      throw new AccessError('ACCESS_UNAVAILABLE', { reason: `identity ${err.reason}`, cause: err })
    }
    const read = groupsOfIdentity(body, identity.email)
    if (read.ignored) log.warn('access identity ignored', { reason: read.ignored, email: identity.email })
    groups = read.groups
    cache.set(key, groups, Math.min(identity.expiresAt, options.now + GROUPS_CACHE_MAX_AGE_MS))
  }
  const byGroup = groupRoleOf(groups, lists)
  return byGroup === 'operator' ? byGroup : (byGroup ?? byEmail)
}
