// The worker's own check of Cloudflare Access tokens on the console's routes: each protection has
// a test that fails without it (docs/console.md, "Why the worker verifies").
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeAccess, makeKey } from '../test/fake-access.ts'
import { readJson } from '../test/helpers.ts'
import { KEY_CACHE_MAX_AGE_MS, KEY_REFETCH_COOLDOWN_MS } from './access.ts'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const me = (access: FakeAccess, token?: string) => access.request('/api/admin/me', { token })

async function expectRefused(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status)
  const body = await readJson(response)
  expect(body.error.code).toBe(code)
  // A code and a message, nothing else: no identity, no detail of why.
  expect(Object.keys(body)).toEqual(['error'])
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message'])
}

describe('Access token verification', () => {
  it('accepts a valid token and answers who is signed in', async () => {
    const access = await FakeAccess.start()
    const response = await me(access, await access.sign())
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ email: 'ops@licensedesk.local', role: 'operator' })
  })

  it('answers 401 ACCESS_REQUIRED with only a code when the header is missing', async () => {
    const access = await FakeAccess.start()
    await expectRefused(await me(access), 401, 'ACCESS_REQUIRED')
    await expectRefused(await access.request('/admin'), 401, 'ACCESS_REQUIRED')
    expect(access.fetches).toBe(0)
  })

  it('ignores the CF_Authorization cookie: only the header Access adds counts', async () => {
    const access = await FakeAccess.start()
    const response = await access.request('/api/admin/me', { headers: { cookie: `CF_Authorization=${await access.sign()}` } })
    await expectRefused(response, 401, 'ACCESS_REQUIRED')
  })

  it('refuses a header that is not a JWT with 401 ACCESS_INVALID', async () => {
    const access = await FakeAccess.start()
    await expectRefused(await me(access, 'yes-i-came-through-access'), 401, 'ACCESS_INVALID')
  })

  it('refuses an expired token with 401 ACCESS_INVALID', async () => {
    const access = await FakeAccess.start()
    const now = Math.floor(Date.now() / 1000)
    await expectRefused(await me(access, await access.sign({ iat: now - 3600, nbf: now - 3600, exp: now - 60 })), 401, 'ACCESS_INVALID')
  })

  it('refuses a token that is not yet valid with 401 ACCESS_INVALID', async () => {
    const access = await FakeAccess.start()
    const now = Math.floor(Date.now() / 1000)
    await expectRefused(await me(access, await access.sign({ nbf: now + 120 })), 401, 'ACCESS_INVALID')
  })

  it('refuses a token without exp with 401 ACCESS_INVALID', async () => {
    const access = await FakeAccess.start()
    await expectRefused(await me(access, await access.sign({ exp: undefined })), 401, 'ACCESS_INVALID')
  })

  it("refuses a token for another Access application (wrong aud) with 401 ACCESS_INVALID", async () => {
    const access = await FakeAccess.start()
    await expectRefused(await me(access, await access.sign({ aud: ['0'.repeat(64)] })), 401, 'ACCESS_INVALID')
    await expectRefused(await me(access, await access.sign({ aud: undefined })), 401, 'ACCESS_INVALID')
  })

  it('refuses a token issued by another team (wrong iss) with 401 ACCESS_INVALID', async () => {
    const access = await FakeAccess.start()
    await expectRefused(await me(access, await access.sign({ iss: 'https://someone-else.cloudflareaccess.com' })), 401, 'ACCESS_INVALID')
    await expectRefused(await me(access, await access.sign({ iss: undefined })), 401, 'ACCESS_INVALID')
  })

  it('refuses alg none with 401 ACCESS_INVALID', async () => {
    const access = await FakeAccess.start()
    await expectRefused(await me(access, access.unsigned()), 401, 'ACCESS_INVALID')
  })

  it('refuses HS256 keyed with the public key (algorithm confusion) with 401 ACCESS_INVALID', async () => {
    const access = await FakeAccess.start()
    await expectRefused(await me(access, await access.hmacWithPublicKey()), 401, 'ACCESS_INVALID')
  })

  it('accepts only RS256, even from a listed key whose JWK names no alg', async () => {
    const access = await FakeAccess.start()
    access.omitAlg = true
    expect((await me(access, await access.sign())).status).toBe(200)
    for (const alg of ['RS512', 'PS256']) await expectRefused(await me(access, await access.sign({}, { alg })), 401, 'ACCESS_INVALID')
  })

  it('refuses a token signed by a key the team never listed with 401 ACCESS_INVALID', async () => {
    const access = await FakeAccess.start()
    const stranger = await makeKey()
    await expectRefused(await me(access, await access.sign({}, { key: stranger })), 401, 'ACCESS_INVALID')
    // Same kid as the listed key, other key: the signature decides.
    await expectRefused(await me(access, await access.sign({}, { key: { ...stranger, kid: access.current.kid } })), 401, 'ACCESS_INVALID')
  })

  it('answers 503 ACCESS_UNAVAILABLE when the certs cannot be fetched, and recovers when they can', async () => {
    for (const mode of ['down', 'status500', 'html'] as const) {
      const access = await FakeAccess.start()
      access.mode = mode
      await expectRefused(await me(access, await access.sign()), 503, 'ACCESS_UNAVAILABLE')
      access.mode = 'up'
      expect((await me(access, await access.sign())).status, mode).toBe(200)
      vi.restoreAllMocks()
    }
  })
})

describe('Access key rotation', () => {
  it('fetches the certs once and reuses them', async () => {
    const access = await FakeAccess.start()
    for (let i = 0; i < 3; i++) expect((await me(access, await access.sign())).status).toBe(200)
    expect(access.fetches).toBe(1)
  })

  it('refetches on an unknown kid: after a rotation the new key verifies and the previous one still does', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const access = await FakeAccess.start()
    const first = access.current
    expect((await me(access, await access.sign())).status).toBe(200)
    const next = await access.rotate()

    // Past the refetch cooldown, the new kid makes the worker fetch the certs again.
    vi.advanceTimersByTime(KEY_REFETCH_COOLDOWN_MS + 1000)
    expect((await me(access, await access.sign({}, { key: next }))).status).toBe(200)
    expect(access.fetches).toBe(2)
    expect((await me(access, await access.sign({}, { key: first }))).status).toBe(200)
    expect(access.fetches).toBe(2)
  })

  it('refetches for unknown kids at most once per cooldown', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const access = await FakeAccess.start()
    expect((await me(access, await access.sign())).status).toBe(200)
    for (let i = 0; i < 5; i++) await expectRefused(await me(access, await access.sign({}, { key: await makeKey() })), 401, 'ACCESS_INVALID')
    expect(access.fetches).toBe(1)
    vi.advanceTimersByTime(KEY_REFETCH_COOLDOWN_MS + 1000)
    await expectRefused(await me(access, await access.sign({}, { key: await makeKey() })), 401, 'ACCESS_INVALID')
    expect(access.fetches).toBe(2)
  })

  it('refuses a token from a key no longer listed once the cached keys are refreshed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const access = await FakeAccess.start()
    const oldest = access.current
    expect((await me(access, await access.sign())).status).toBe(200)
    await access.rotate()
    await access.rotate() // `oldest` is dropped: only the two newest stay listed
    expect(access.listed.map((key) => key.kid)).not.toContain(oldest.kid)

    vi.advanceTimersByTime(KEY_CACHE_MAX_AGE_MS + 1000)
    await expectRefused(await me(access, await access.sign({}, { key: oldest })), 401, 'ACCESS_INVALID')
    expect(access.fetches).toBe(2)
    expect((await me(access, await access.sign())).status).toBe(200)
  })
})
