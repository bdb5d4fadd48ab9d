import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { defineSandboxConfig } from '../config.ts'
import { buildSandbox, type Sandbox } from '../sandbox.ts'
import { ASSERTION_HEADER, EMAIL_HEADER } from './front-door.ts'

type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string }
type Running = { sandbox: Sandbox; team: string; door: string; seen: Seen[]; close(): Promise<void> }

const AUD = 'test-aud-0123456789abcdef'
let running: Running | undefined

afterEach(async () => {
  await running?.close()
  running = undefined
})

const listen = (server: Server, port = 0) =>
  new Promise<number>((done) => server.listen(port, '127.0.0.1', () => done((server.address() as AddressInfo).port)))

async function freePort(): Promise<number> {
  const probe = createServer()
  const port = await listen(probe)
  await new Promise((done) => probe.close(done))
  return port
}

/** A sandbox with its front door before a stand-in worker that echoes what reached it. */
async function start(): Promise<Running> {
  const seen: Seen[] = []
  const worker = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() })
    res.writeHead(201, { 'content-type': 'application/json', 'x-worker': 'yes' }).end(JSON.stringify({ ok: true }))
  })
  const workerPort = await listen(worker)
  const doorPort = await freePort()
  const teamPort = await freePort()
  const team = `http://127.0.0.1:${teamPort}`
  const door = `http://127.0.0.1:${doorPort}`
  const config = defineSandboxConfig({
    host: '127.0.0.1',
    port: teamPort,
    publicUrl: team,
    access: { aud: AUD, frontDoor: { port: doorPort, upstream: `http://127.0.0.1:${workerPort}`, publicUrl: door } },
  })
  const sandbox = buildSandbox({ config })
  await listen(sandbox.server, teamPort)
  await listen(sandbox.frontDoor!, doorPort)
  return {
    sandbox,
    team,
    door,
    seen,
    async close() {
      await sandbox.close()
      worker.closeAllConnections()
      await new Promise((done) => worker.close(done))
    },
  }
}

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const response = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body })
  const text = await response.body.text()
  return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) }
}

const certsOf = async (team: string) => (await send(`${team}/cdn-cgi/access/certs`)).json()

/** Signs in through the page as a browser would: the form post, then the hand-over to the door. */
async function signIn(run: Running, email: string): Promise<string> {
  const login = `${run.team}/cdn-cgi/access/login/${new URL(run.door).host}`
  const posted = await send(login, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ email, redirect_url: `${run.door}/admin?tab=1` }).toString(),
  })
  expect(posted.status).toBe(303)
  const handOver = new URL(String(posted.headers.location))
  expect(handOver.origin + handOver.pathname).toBe(`${run.door}/cdn-cgi/access/authorized`)
  const authorized = await send(handOver.toString())
  expect(authorized.status).toBe(302)
  expect(authorized.headers.location).toBe('/admin?tab=1')
  const cookie = String(authorized.headers['set-cookie'])
  expect(cookie).toMatch(/^CF_Authorization=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400$/)
  return cookie.split(';')[0]
}

describe('the sandbox Access: certs and keys', () => {
  it('serves the certs in Access shape, and its tokens verify against them with the app claims', async () => {
    running = await start()
    const certs = await certsOf(running.team)
    expect(certs.keys).toHaveLength(1)
    expect(certs.keys[0]).toEqual({ kid: expect.stringMatching(/^[0-9a-f]{64}$/), kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB', n: expect.any(String) })
    const token = running.sandbox.access.issue('ops@licensedesk.local')
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(certs), { issuer: running.team, audience: AUD, algorithms: ['RS256'] })
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: certs.keys[0].kid, typ: 'JWT' })
    expect(payload).toMatchObject({ aud: [AUD], email: 'ops@licensedesk.local', type: 'app', country: 'CN' })
    expect(payload.exp! - payload.iat!).toBe(86_400)
    expect(payload.sub).toMatch(/^[0-9a-f-]{36}$/)
    expect(payload.identity_nonce).toEqual(expect.any(String))
  })

  it('rotates as Access does: the new key signs, the previous stays listed, the one before is dropped', async () => {
    running = await start()
    const first = (await certsOf(running.team)).keys[0].kid
    const rotated = await send(`${running.team}/_sandbox/access/rotate`, { method: 'POST' })
    expect(rotated.status).toBe(200)
    const second = rotated.json().data.current
    expect((await certsOf(running.team)).keys.map((key: { kid: string }) => key.kid)).toEqual([second, first])
    const token = running.sandbox.access.issue('ops@licensedesk.local')
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid).toBe(second)
    await send(`${running.team}/_sandbox/access/rotate`, { method: 'POST' })
    const listed = (await certsOf(running.team)).keys.map((key: { kid: string }) => key.kid)
    expect(listed).toHaveLength(2)
    expect(listed[1]).toBe(second)
    expect(listed).not.toContain(first)
  })

  it('mints a token for a script through the control API', async () => {
    running = await start()
    const minted = await send(`${running.team}/_sandbox/access/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'viewer@licensedesk.local', ttlSeconds: 60 }) })
    const { payload } = await jwtVerify(minted.json().data.token, createLocalJWKSet(await certsOf(running.team)), { issuer: running.team, audience: AUD })
    expect(payload.email).toBe('viewer@licensedesk.local')
    expect(payload.exp! - payload.iat!).toBe(60)
    expect((await send(`${running.team}/_sandbox/access/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"nobody"}' })).status).toBe(400)
  })
})

describe('the sandbox Access: sign-in page', () => {
  it('offers the local operator and viewer with one click, and a field for any email', async () => {
    running = await start()
    const page = await send(`${running.team}/cdn-cgi/access/login/${new URL(running.door).host}?redirect_url=${encodeURIComponent(`${running.door}/admin`)}`)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Sign in as ops@licensedesk.local')
    expect(page.text).toContain('Sign in as viewer@licensedesk.local')
    expect(page.text).toContain('name="email"')
    // The post's redirect to the door must be allowed by the page's form-action.
    expect(String(page.headers['content-security-policy'])).toContain(`form-action 'self' ${running.door}`)
  })

  it('refuses a sign-in posted from another site', async () => {
    running = await start()
    const posted = await send(`${running.team}/cdn-cgi/access/login/${new URL(running.door).host}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: 'email=ops%40licensedesk.local',
    })
    expect(posted.status).toBe(403)
    expect(posted.json().error.code).toBe('SANDBOX_CROSS_SITE')
  })

  it('never hands a token to another origin, nor signs in for an unknown application', async () => {
    running = await start()
    const posted = await send(`${running.team}/cdn-cgi/access/login/${new URL(running.door).host}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'ops@licensedesk.local', redirect_url: 'https://evil.example/steal' }).toString(),
    })
    const handOver = new URL(String(posted.headers.location))
    expect(handOver.origin).toBe(running.door)
    expect(handOver.searchParams.get('redirect_url')).toBe('/admin')
    expect((await send(`${running.team}/cdn-cgi/access/login/evil.example`)).status).toBe(404)
    expect((await send(`${running.door}/cdn-cgi/access/authorized?token=forged&redirect_url=/admin`)).status).toBe(400)
  })
})

describe('the sandbox Access: front door', () => {
  it('sends a visitor without a session to the sign-in page, and refuses other methods with 401', async () => {
    running = await start()
    const visit = await send(`${running.door}/admin?x=1`)
    expect(visit.status).toBe(302)
    const login = new URL(String(visit.headers.location))
    expect(login.origin).toBe(running.team)
    expect(login.pathname).toBe(`/cdn-cgi/access/login/${new URL(running.door).host}`)
    expect(login.searchParams.get('redirect_url')).toBe(`${running.door}/admin?x=1`)
    const post = await send(`${running.door}/api/admin/ping`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(post.status).toBe(401)
    expect(post.json().error.code).toBe('SANDBOX_ACCESS_LOGIN_REQUIRED')
    // A forged header is no way in either: the door asks for a sign-in, and nothing reached the worker.
    expect((await send(`${running.door}/api/admin/me`, { headers: { [ASSERTION_HEADER]: 'forged' } })).status).toBe(302)
    expect(running.seen).toEqual([])
  })

  it('forwards a signed-in request with the assertion header it sets, dropping the one the client sent', async () => {
    running = await start()
    const cookie = await signIn(running, 'ops@licensedesk.local')
    const answer = await send(`${running.door}/api/admin/ping?q=1`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', [ASSERTION_HEADER]: 'forged.by.client', [EMAIL_HEADER]: 'ceo@example.com', origin: running.door },
      body: '{"hello":"worker"}',
    })
    expect(answer.status).toBe(201)
    expect(answer.headers['x-worker']).toBe('yes')
    const [seen] = running.seen
    expect(seen).toMatchObject({ method: 'POST', url: '/api/admin/ping?q=1', body: '{"hello":"worker"}' })
    expect(seen.headers[ASSERTION_HEADER]).toBe(cookie.slice('CF_Authorization='.length))
    expect(seen.headers[EMAIL_HEADER]).toBe('ops@licensedesk.local')
    expect(seen.headers.origin).toBe(running.door)
    // The token it forwards is the app token: Access's claims, signed by a listed key.
    const { payload } = await jwtVerify(String(seen.headers[ASSERTION_HEADER]), createLocalJWKSet(await certsOf(running.team)), { issuer: running.team, audience: AUD })
    expect(payload.email).toBe('ops@licensedesk.local')
  })

  it('passes other paths through, without any client-sent assertion', async () => {
    running = await start()
    const answer = await send(`${running.door}/api/applications`, { method: 'POST', headers: { 'content-type': 'application/json', [ASSERTION_HEADER]: 'forged' }, body: '{}' })
    expect(answer.status).toBe(201)
    expect(running.seen[0].headers[ASSERTION_HEADER]).toBeUndefined()
    // `..` segments are resolved the way the worker resolves them: this is /admin.
    expect((await send(`${running.door}/static/../admin`)).status).toBe(302)
  })

  it('asks for a new sign-in once the session key is no longer listed, and after sign-out', async () => {
    running = await start()
    const cookie = await signIn(running, 'ops@licensedesk.local')
    expect((await send(`${running.door}/admin`, { headers: { cookie } })).status).toBe(201)
    await send(`${running.team}/_sandbox/access/rotate`, { method: 'POST' })
    expect((await send(`${running.door}/admin`, { headers: { cookie } })).status).toBe(201)
    await send(`${running.team}/_sandbox/access/rotate`, { method: 'POST' })
    expect((await send(`${running.door}/admin`, { headers: { cookie } })).status).toBe(302)
    const out = await send(`${running.door}/cdn-cgi/access/logout`, { headers: { cookie } })
    expect(out.status).toBe(200)
    expect(String(out.headers['set-cookie'])).toContain('CF_Authorization=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0')
  })
})

describe('the sandbox Access: get-identity and its directory', () => {
  const identity = (run: Running, cookie?: string) => send(`${run.team}/cdn-cgi/access/get-identity`, { headers: cookie ? { cookie } : {} })

  it("answers the signed-in user's identity with their groups, read from the CF_Authorization cookie", async () => {
    running = await start()
    const cookie = await signIn(running, 'Grouped@licensedesk.local')
    const answer = await identity(running, `other=1; ${cookie}`)
    expect(answer.status).toBe(200)
    const body = answer.json()
    expect(body).toMatchObject({ email: 'Grouped@licensedesk.local', user_uuid: body.id, version: 2 })
    expect(body.groups).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'license-desk-operators', email: expect.stringContaining('@') }])
    // The same token's sub: one person, one id.
    const { payload } = await jwtVerify(cookie.slice('CF_Authorization='.length), createLocalJWKSet(await certsOf(running.team)), { issuer: running.team, audience: AUD })
    expect(body.id).toBe(payload.sub)
    expect((await identity(running, await signIn(running, 'viewer@licensedesk.local'))).json().groups.map((group: { name: string }) => group.name)).toEqual(['license-desk-viewers'])
    expect((await identity(running, await signIn(running, 'stranger@example.com'))).json().groups).toEqual([])
  })

  it('answers 401 without a cookie and 403 for a token it did not issue, one expired, or one of a dropped key', async () => {
    running = await start()
    const none = await identity(running)
    expect(none.status).toBe(401)
    expect(none.json()).toEqual({ err: expect.any(String) })
    expect((await identity(running, 'CF_Authorization=forged.token.here')).status).toBe(403)
    const forged = running.sandbox.access.issue('ops@licensedesk.local').split('.')
    expect((await identity(running, `CF_Authorization=${forged[0]}.${Buffer.from(JSON.stringify({ email: 'ops@licensedesk.local', exp: 9e9, aud: [AUD] })).toString('base64url')}.${forged[2]}`)).status).toBe(403)
    const expired = running.sandbox.access.issue('ops@licensedesk.local', { ttlSeconds: -1 })
    expect((await identity(running, `CF_Authorization=${expired}`)).status).toBe(403)
    const otherApp = running.sandbox.access.issue('ops@licensedesk.local', { aud: 'another-app' })
    expect((await identity(running, `CF_Authorization=${otherApp}`)).status).toBe(403)
    const old = running.sandbox.access.issue('ops@licensedesk.local')
    await send(`${running.team}/_sandbox/access/rotate`, { method: 'POST' })
    expect((await identity(running, `CF_Authorization=${old}`)).status).toBe(200)
    await send(`${running.team}/_sandbox/access/rotate`, { method: 'POST' })
    expect((await identity(running, `CF_Authorization=${old}`)).status).toBe(403)
  })

  it("sets a user's groups through the control API, validated, and get-identity answers them", async () => {
    running = await start()
    const post = (body: unknown) => send(`${running!.team}/_sandbox/access/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const set = await post({ email: 'New.Person@licensedesk.local', groups: ['license-desk-viewers', 'Finance Team', 'license-desk-viewers'] })
    expect(set.status).toBe(200)
    expect(set.json()).toEqual({ data: { email: 'new.person@licensedesk.local', groups: ['license-desk-viewers', 'Finance Team'] } })
    const token = running.sandbox.access.issue('new.person@licensedesk.local')
    expect((await identity(running, `CF_Authorization=${token}`)).json().groups.map((group: { name: string }) => group.name)).toEqual(['license-desk-viewers', 'Finance Team'])
    expect((await post({ email: 'grouped@licensedesk.local', groups: [] })).status).toBe(200)
    const listed = (await send(`${running.team}/_sandbox/access/users`)).json().data
    expect(listed).toContainEqual({ email: 'grouped@licensedesk.local', groups: [] })
    for (const bad of [{ email: 'nobody', groups: [] }, { email: 'a@b.test' }, { email: 'a@b.test', groups: 'ops' }, { email: 'a@b.test', groups: [''] }, { email: 'a@b.test', groups: ['<script>'] }, { email: 'a@b.test', groups: [1] }]) {
      const refused = await post(bad)
      expect(refused.status, JSON.stringify(bad)).toBe(400)
      expect(refused.json().error.code).toBe('SANDBOX_BAD_REQUEST')
    }
  })

  it('offers the group-only operator on the sign-in page and shows the directory', async () => {
    running = await start()
    await send(`${running.team}/_sandbox/access/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'auditor@licensedesk.local', groups: ['Audit & Risk'.replace('&', 'and')] }) })
    const page = await send(`${running.team}/cdn-cgi/access/login/${new URL(running.door).host}`)
    expect(page.text).toContain('Sign in as grouped@licensedesk.local')
    expect(page.text).toContain('<td>auditor@licensedesk.local</td><td>Audit and Risk</td>')
    expect(page.text).toContain('<td>grouped@licensedesk.local</td><td>license-desk-operators</td>')
  })
})
