// Console roles by Access group: get-identity asked with the person's token, only when group lists
// are set and the email lists do not already make an operator, its answer trusted only about the
// token's own person, cached per token (docs/console.md, "Roles").
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeAccess, OPERATOR, VIEWER } from '../test/fake-access.ts'
import { readJson } from '../test/helpers.ts'
import { GROUPS_CACHE_MAX_AGE_MS, GroupsCache, groupsOfIdentity, tokenKey } from './access-identity.ts'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const CONSOLE_ORIGIN = 'http://localhost:8787' // PUBLIC_ORIGIN in wrangler.toml
const GROUPED = 'grouped@licensedesk.local'
const GROUPS = { ADMIN_OPERATOR_GROUPS: 'License-Desk-Operators', ADMIN_VIEWER_GROUPS: 'license-desk-viewers' }

const me = (access: FakeAccess, token: string) => access.request('/api/admin/me', { token })
const ping = (access: FakeAccess, token: string) =>
  access.request('/api/admin/ping', { method: 'POST', token, headers: { origin: CONSOLE_ORIGIN, 'content-type': 'application/json' }, body: '{}' })

async function codeOf(response: Response): Promise<string> {
  return (await readJson(response)).error?.code
}

describe('console roles by Access group', () => {
  it('lets a member of an ADMIN_OPERATOR_GROUPS group on no email list act, matching the name case-insensitively', async () => {
    const access = await FakeAccess.start(GROUPS)
    access.setGroups(GROUPED, ['license-desk-operators'])
    const token = await access.sign({ email: GROUPED })
    expect(await (await me(access, token)).json()).toEqual({ email: GROUPED, role: 'operator' })
    const response = await ping(access, token)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ pong: true, by: GROUPED })
    // The token went as the CF_Authorization cookie, as Access expects it.
    expect(access.identityCookies).toEqual([token])
  })

  it('matches a group by its id exactly', async () => {
    const access = await FakeAccess.start({ ADMIN_OPERATOR_GROUPS: 'id-ops', ADMIN_VIEWER_GROUPS: '' })
    access.setGroups(GROUPED, ['ops'])
    expect((await readJson(await me(access, await access.sign({ email: GROUPED })))).role).toBe('operator')
    const upper = await FakeAccess.start({ ADMIN_OPERATOR_GROUPS: 'ID-OPS', ADMIN_VIEWER_GROUPS: '' })
    upper.setGroups(GROUPED, ['ops'])
    expect(await codeOf(await me(upper, await upper.sign({ email: GROUPED })))).toBe('ACCESS_FORBIDDEN')
  })

  it('lets a member of an ADMIN_VIEWER_GROUPS group look but not act (403 ROLE_OPERATOR_REQUIRED)', async () => {
    const access = await FakeAccess.start(GROUPS)
    access.setGroups(GROUPED, ['license-desk-viewers', 'unrelated'])
    const token = await access.sign({ email: GROUPED })
    expect(await (await me(access, token)).json()).toEqual({ email: GROUPED, role: 'viewer' })
    const response = await ping(access, token)
    expect(response.status).toBe(403)
    expect(await codeOf(response)).toBe('ROLE_OPERATOR_REQUIRED')
  })

  it('raises an email-listed viewer to operator by group', async () => {
    const access = await FakeAccess.start(GROUPS)
    access.setGroups(VIEWER, ['license-desk-operators'])
    expect((await readJson(await me(access, await access.sign({ email: VIEWER })))).role).toBe('operator')
  })

  it('answers 403 ACCESS_FORBIDDEN to someone in no staff group and on no list', async () => {
    const access = await FakeAccess.start(GROUPS)
    access.setGroups(GROUPED, ['everyone'])
    const response = await me(access, await access.sign({ email: GROUPED }))
    expect(response.status).toBe(403)
    expect(await codeOf(response)).toBe('ACCESS_FORBIDDEN')
    expect(access.identityCalls).toBe(1)
  })

  it('gives an email-listed operator the role without calling get-identity', async () => {
    const access = await FakeAccess.start(GROUPS)
    for (let i = 0; i < 3; i++) expect((await readJson(await me(access, await access.sign({ email: OPERATOR })))).role).toBe('operator')
    expect(access.identityCalls).toBe(0)
  })

  it('caches the groups per token: a second request makes no identity call, another token does', async () => {
    const access = await FakeAccess.start(GROUPS)
    access.setGroups(GROUPED, ['license-desk-operators'])
    const token = await access.sign({ email: GROUPED })
    for (let i = 0; i < 3; i++) expect((await me(access, token)).status).toBe(200)
    expect(access.identityCalls).toBe(1)
    expect((await me(access, await access.sign({ email: GROUPED }))).status).toBe(200)
    expect(access.identityCalls).toBe(2)
  })

  it('asks again once the cached groups are 5 minutes old, and sees a removal from the group', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const access = await FakeAccess.start(GROUPS)
    access.setGroups(GROUPED, ['license-desk-operators'])
    const token = await access.sign({ email: GROUPED })
    expect((await me(access, token)).status).toBe(200)
    access.setGroups(GROUPED, [])
    vi.advanceTimersByTime(GROUPS_CACHE_MAX_AGE_MS - 1000)
    expect((await me(access, token)).status).toBe(200)
    expect(access.identityCalls).toBe(1)
    vi.advanceTimersByTime(2000)
    expect(await codeOf(await me(access, token))).toBe('ACCESS_FORBIDDEN')
    expect(access.identityCalls).toBe(2)
  })

  it("takes no groups from an identity answer about another email (ACCESS_FORBIDDEN)", async () => {
    const access = await FakeAccess.start(GROUPS)
    access.setGroups(GROUPED, ['license-desk-operators'])
    access.identityOverrides = { email: 'someone-else@licensedesk.local' }
    const warn = vi.spyOn(console, 'warn')
    const response = await me(access, await access.sign({ email: GROUPED }))
    expect(response.status).toBe(403)
    expect(await codeOf(response)).toBe('ACCESS_FORBIDDEN')
    expect(warn.mock.calls.map(([line]) => String(line)).some((line) => line.includes('email differs from the token'))).toBe(true)
  })

  it('takes no groups from an identity answer whose groups are not an array of objects', async () => {
    for (const groups of ['license-desk-operators', ['license-desk-operators'], { name: 'license-desk-operators' }, null]) {
      const access = await FakeAccess.start(GROUPS)
      access.identityOverrides = { groups }
      expect(await codeOf(await me(access, await access.sign({ email: GROUPED }))), JSON.stringify(groups)).toBe('ACCESS_FORBIDDEN')
      vi.restoreAllMocks()
    }
  })

  it('answers 503 ACCESS_UNAVAILABLE when only the groups could give a role and get-identity fails; an email-listed viewer still gets in', async () => {
    for (const mode of ['down', 'status500', 'html'] as const) {
      const access = await FakeAccess.start(GROUPS)
      access.setGroups(GROUPED, ['license-desk-operators'])
      access.identityMode = mode
      const refused = await me(access, await access.sign({ email: GROUPED }))
      expect(refused.status, mode).toBe(503)
      expect(await codeOf(refused)).toBe('ACCESS_UNAVAILABLE')
      expect((await readJson(await me(access, await access.sign({ email: VIEWER })))).role, mode).toBe('viewer')
      // A failure is not cached: once get-identity is back, the same token gets its groups.
      access.identityMode = 'up'
      const token = await access.sign({ email: GROUPED })
      expect((await readJson(await me(access, token))).role, mode).toBe('operator')
      vi.restoreAllMocks()
    }
  })

  it('never calls get-identity when no group variable is set', async () => {
    const access = await FakeAccess.start({ ADMIN_OPERATOR_GROUPS: '', ADMIN_VIEWER_GROUPS: '' })
    access.setGroups(GROUPED, ['license-desk-operators'])
    expect((await readJson(await me(access, await access.sign({ email: VIEWER })))).role).toBe('viewer')
    expect(await codeOf(await me(access, await access.sign({ email: GROUPED })))).toBe('ACCESS_FORBIDDEN')
    expect(access.identityCalls).toBe(0)
  })

  it('never logs the token', async () => {
    const access = await FakeAccess.start(GROUPS)
    access.identityMode = 'down'
    const lines: string[] = []
    for (const level of ['log', 'info', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation((line) => void lines.push(String(line)))
    const token = await access.sign({ email: GROUPED })
    expect((await me(access, token)).status).toBe(503)
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('\n')).not.toContain(token.split('.')[2])
  })
})

describe('groupsOfIdentity', () => {
  it('reads id and name of each group of the right person, email compared case-insensitively', () => {
    const read = groupsOfIdentity({ email: 'Grouped@LicenseDesk.local', groups: [{ id: 'g1', name: 'ops', email: 'ops@x.test' }, { name: 'no-id' }] }, GROUPED)
    expect(read).toEqual({ groups: [{ id: 'g1', name: 'ops' }, { id: null, name: 'no-id' }], ignored: null })
  })

  it.each([
    [[], 'not a JSON object'],
    ['text', 'not a JSON object'],
    [{ groups: [] }, 'email differs from the token'],
    [{ email: 'other@licensedesk.local', groups: [{ name: 'ops' }] }, 'email differs from the token'],
    [{ email: GROUPED }, 'groups is not an array'],
    [{ email: GROUPED, groups: ['ops'] }, 'groups holds a non-object'],
  ])('ignores %j: %s', (body, reason) => {
    expect(groupsOfIdentity(body, GROUPED)).toEqual({ groups: [], ignored: reason })
  })
})

describe('GroupsCache', () => {
  it('keeps at most its bound, evicting the oldest, and forgets an entry at its time', () => {
    const cache = new GroupsCache(2)
    cache.set('a', [], 100)
    cache.set('b', [], 100)
    cache.set('c', [], 100)
    expect(cache.size).toBe(2)
    expect(cache.get('a', 0)).toBeUndefined()
    expect(cache.get('b', 99)).toEqual([])
    expect(cache.get('b', 100)).toBeUndefined()
  })

  it('is keyed by a SHA-256 of the token, never the token', async () => {
    const key = await tokenKey('header.payload.signature')
    expect(key).toMatch(/^[0-9a-f]{64}$/)
    expect(key).not.toContain('signature')
  })
})
