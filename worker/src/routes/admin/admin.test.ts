// The console's roles and its action guard (operators act, viewers look; actions are JSON from the
// console's own origin), and the console's page with its security headers.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeAccess, OPERATOR, VIEWER } from '../../../test/fake-access.ts'
import { readJson } from '../../../test/helpers.ts'
import { COMMON_HEADERS } from '../../security-headers.ts'

afterEach(() => vi.restoreAllMocks())

const CONSOLE_ORIGIN = 'http://localhost:8787' // PUBLIC_ORIGIN in wrangler.toml

async function codeOf(response: Response): Promise<string> {
  return (await readJson(response)).error?.code
}

function ping(access: FakeAccess, token: string, init: { origin?: string | null; type?: string | null; body?: string } = {}) {
  const headers: Record<string, string> = {}
  const origin = init.origin === undefined ? CONSOLE_ORIGIN : init.origin
  const type = init.type === undefined ? 'application/json' : init.type
  if (origin !== null) headers.origin = origin
  if (type !== null) headers['content-type'] = type
  return access.request('/api/admin/ping', { method: 'POST', token, headers, body: init.body ?? '{}' })
}

describe('console roles', () => {
  it('gives the operators and viewers of ADMIN_OPERATORS / ADMIN_VIEWERS their role', async () => {
    const access = await FakeAccess.start()
    const operator = await access.request('/api/admin/me', { token: await access.sign({ email: 'OPS@licensedesk.local' }) })
    expect(await operator.json()).toEqual({ email: 'OPS@licensedesk.local', role: 'operator' })
    const viewer = await access.request('/api/admin/me', { token: await access.sign({ email: VIEWER }) })
    expect(await viewer.json()).toEqual({ email: VIEWER, role: 'viewer' })
  })

  it('matches *@domain patterns, and operator wins over viewer', async () => {
    const access = await FakeAccess.start({ ADMIN_OPERATORS: 'lead@hypermotion.cn', ADMIN_VIEWERS: '*@hypermotion.cn' })
    const role = async (email: string) => (await readJson(await access.request('/api/admin/me', { token: await access.sign({ email }) }))).role
    expect(await role('anyone@hypermotion.cn')).toBe('viewer')
    expect(await role('lead@hypermotion.cn')).toBe('operator')
    expect(await codeOf(await access.request('/api/admin/me', { token: await access.sign({ email: 'anyone@hypermotion.cn.evil.example' }) }))).toBe('ACCESS_FORBIDDEN')
  })

  it('answers 403 ACCESS_FORBIDDEN with only a code to a valid identity in neither role', async () => {
    const access = await FakeAccess.start()
    const response = await access.request('/api/admin/me', { token: await access.sign({ email: 'someone@example.com' }) })
    expect(response.status).toBe(403)
    const body = await readJson(response)
    expect(body).toEqual({ error: { code: 'ACCESS_FORBIDDEN', message: expect.any(String) } })
    expect(JSON.stringify(body)).not.toContain('someone@example.com')
  })

  it('answers 403 ACCESS_FORBIDDEN to a service token (no email)', async () => {
    const access = await FakeAccess.start()
    const response = await access.request('/api/admin/me', { token: await access.sign({ email: null }) })
    expect(response.status).toBe(403)
    expect(await codeOf(response)).toBe('ACCESS_FORBIDDEN')
  })
})

describe('console actions', () => {
  it('lets an operator act with JSON from the console origin', async () => {
    const access = await FakeAccess.start()
    const response = await ping(access, await access.sign())
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ pong: true, by: OPERATOR })
  })

  it("refuses a viewer's action with 403 ROLE_OPERATOR_REQUIRED", async () => {
    const access = await FakeAccess.start()
    const response = await ping(access, await access.sign({ email: VIEWER }))
    expect(response.status).toBe(403)
    expect(await codeOf(response)).toBe('ROLE_OPERATOR_REQUIRED')
  })

  it("refuses an operator's action without a JSON body with 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    const access = await FakeAccess.start()
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', null]) {
      const response = await ping(access, await access.sign(), { type, body: 'a=1' })
      expect(response.status, String(type)).toBe(415)
      expect(await codeOf(response)).toBe('UNSUPPORTED_MEDIA_TYPE')
    }
  })

  it("refuses an operator's action from another origin, or none, with 403 CROSS_SITE_REFUSED", async () => {
    const access = await FakeAccess.start()
    for (const origin of ['https://evil.example', 'null', 'http://localhost:8787.evil.example', null]) {
      const response = await ping(access, await access.sign(), { origin })
      expect(response.status, String(origin)).toBe(403)
      expect(await codeOf(response)).toBe('CROSS_SITE_REFUSED')
    }
  })

  it('takes actions from ADMIN_ORIGIN when the console is served from another origin', async () => {
    const access = await FakeAccess.start({ ADMIN_ORIGIN: 'http://localhost:9100' })
    expect((await ping(access, await access.sign(), { origin: 'http://localhost:9100' })).status).toBe(200)
    expect(await codeOf(await ping(access, await access.sign()))).toBe('CROSS_SITE_REFUSED')
  })

  it('checks Access before anything else: no token is 401 whatever the request', async () => {
    const access = await FakeAccess.start()
    const response = await access.request('/api/admin/ping', { method: 'POST', headers: { origin: 'https://evil.example' }, body: 'x' })
    expect(response.status).toBe(401)
    expect(await codeOf(response)).toBe('ACCESS_REQUIRED')
    expect((await access.request('/api/admin/nothing-here')).status).toBe(401)
    expect((await access.request('/api/admin/nothing-here', { token: await access.sign() })).status).toBe(404)
  })
})

/** The static assets as the build leaves them: the console's page at /admin/ and nothing else. */
function fakeAssets(requested: string[]): Fetcher {
  const fetch = async (input: RequestInfo | URL) => {
    const path = new URL(input instanceof Request ? input.url : input).pathname
    requested.push(path)
    if (path !== '/admin/') return new Response('not found', { status: 404 })
    return new Response(CONSOLE_HTML, { headers: { 'content-type': 'text/html', 'cache-control': 'public, max-age=3600' } })
  }
  return { fetch } as unknown as Fetcher
}

const CONSOLE_HTML = '<!doctype html><div id="app"></div><script type="module" src="/assets/admin-x.js"></script>'

describe('the console page', () => {
  it('serves the built console page for /admin and every client route under it, never cached', async () => {
    const requested: string[] = []
    const access = await FakeAccess.start({ ASSETS: fakeAssets(requested) })
    const token = await access.sign()
    for (const path of ['/admin', '/admin/', '/admin/applications/LD-2026-ABC', '/admin/index.html', '/admin/health']) {
      const response = await access.request(path, { token })
      expect([path, response.status]).toEqual([path, 200])
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await response.text()).toBe(CONSOLE_HTML)
      expect(response.headers.get('cache-control')).toBe('no-store')
    }
    expect(new Set(requested)).toEqual(new Set(['/admin/']))
  })

  it('carries the same security headers as the apply page, and a CSP without inline script', async () => {
    const access = await FakeAccess.start({ ASSETS: fakeAssets([]) })
    const response = await access.request('/admin/licenses', { token: await access.sign() })
    expect(response.status).toBe(200)
    for (const [name, value] of Object.entries(COMMON_HEADERS)) expect(response.headers.get(name), name).toBe(value)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain("connect-src 'self';")
    expect(csp).toMatch(/frame-ancestors 'none'/)
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|localhost|challenges\.cloudflare\.com/)
  })

  it('never fetches the page for someone the guard refuses: 401 for /admin/index.html without a token', async () => {
    const requested: string[] = []
    const access = await FakeAccess.start({ ASSETS: fakeAssets(requested) })
    const response = await access.request('/admin/index.html')
    expect([response.status, await codeOf(response)]).toEqual([401, 'ACCESS_REQUIRED'])
    expect(requested).toEqual([])
  })

  it('answers a build without the console page with a generic 500', async () => {
    const access = await FakeAccess.start({ ASSETS: { fetch: async () => new Response('nope', { status: 404 }) } as unknown as Fetcher })
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const response = await access.request('/admin', { token: await access.sign() })
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('npm run build')
  })

  it('answers the page without a valid token with a coded 401 and no page', async () => {
    const access = await FakeAccess.start()
    const response = await access.request('/admin', { token: 'forged' })
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await codeOf(response)).toBe('ACCESS_INVALID')
  })

  it('keeps the API CSP on the JSON answers', async () => {
    const access = await FakeAccess.start()
    const response = await access.request('/api/admin/me', { token: await access.sign() })
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
    expect(response.headers.get('cache-control')).toBe('no-store')
  })
})
