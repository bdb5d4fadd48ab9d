// The Access front door: what Cloudflare's edge does in front of the worker, on its own port. For
// /admin* and /api/admin*, no valid CF_Authorization cookie → a redirect to the sign-in page (GET)
// or 401; with one, the request goes on with `Cf-Access-Jwt-Assertion` (and the user's email)
// set by the door — whatever the client sent under those names is dropped first, on every path.
// Other paths pass through untouched. Bodies stream both ways (node:http).
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { SandboxConfig } from '../config.ts'
import { cookieOf, sendHtml, sendJson } from '../http.ts'
import { html } from '../pages/layout.ts'
import { AUTHORIZED_PATH, COOKIE, LOGIN_PATH, type Access } from './access.ts'
import { verifyJwt } from './jwt.ts'

export const ASSERTION_HEADER = 'cf-access-jwt-assertion'
export const EMAIL_HEADER = 'cf-access-authenticated-user-email'
const LOGOUT_PATH = '/cdn-cgi/access/logout'

/** Headers of one hop only (RFC 9110 §7.6.1), never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade'])

export type FrontDoorOptions = { config: SandboxConfig; access: Access; now: () => number; logger: Logger }

export function isProtected(pathname: string): boolean {
  return pathname === '/admin' || pathname.startsWith('/admin/') || pathname === '/api/admin' || pathname.startsWith('/api/admin/')
}

/** A path on this host (`/…`, not `//host`), else /admin. */
const localPath = (value: string | null) => (value && value.startsWith('/') && !value.startsWith('//') && !value.includes('\\') ? value : '/admin')

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === ASSERTION_HEADER || name === EMAIL_HEADER) continue
    out[name] = value
  }
  return out
}

export function createFrontDoor({ config, access, now, logger }: FrontDoorOptions): Server {
  const door = config.access.frontDoor
  if (!door) throw new Error('the front door needs config.access.frontDoor')
  const upstream = new URL(door.upstream)
  const agent = new Agent({ keepAlive: true })
  const secure = door.publicUrl.startsWith('https:') ? '; Secure' : ''
  const setCookie = (value: string, maxAge: number) => `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`

  function forward(req: IncomingMessage, res: ServerResponse, identity?: { token: string; email: string }): void {
    const headers = forwardHeaders(req.headers)
    headers.host = upstream.host
    headers['x-forwarded-host'] = req.headers.host ?? new URL(door!.publicUrl).host
    headers['x-forwarded-proto'] = new URL(door!.publicUrl).protocol.slice(0, -1)
    if (identity) {
      headers[ASSERTION_HEADER] = identity.token
      headers[EMAIL_HEADER] = identity.email
    }
    const outgoing = request({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      const back: Record<string, string | string[]> = {}
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value
      res.writeHead(answer.statusCode ?? 502, back)
      answer.pipe(res)
    })
    outgoing.on('error', (error) => {
      logger.warn({ err: error, url: req.url }, 'front door: the worker did not answer')
      if (!res.headersSent) sendJson(res, 502, { error: { code: 'SANDBOX_ACCESS_UPSTREAM', message: 'the worker behind the Access front door did not answer' } })
      else res.destroy()
    })
    // A client that goes away takes the upstream exchange with it.
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy()
    })
    req.pipe(outgoing)
  }

  function signIn(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 401, { error: { code: 'SANDBOX_ACCESS_LOGIN_REQUIRED', message: 'sign in through Access first' } }, { 'set-cookie': setCookie('', 0) })
    }
    const login = new URL(`${LOGIN_PATH}${new URL(door!.publicUrl).host}`, config.publicUrl)
    login.searchParams.set('kid', config.access.aud)
    login.searchParams.set('redirect_url', `${door!.publicUrl}${url.pathname}${url.search}`)
    res.writeHead(302, { location: login.toString(), 'set-cookie': setCookie('', 0), 'content-length': 0, 'cache-control': 'no-store' })
    res.end()
  }

  return createServer((req, res) => {
    // WHATWG parsing resolves `..` and `%2e` segments the way the worker will.
    const url = new URL(req.url ?? '/', door.publicUrl)
    if (url.pathname === AUTHORIZED_PATH && req.method === 'GET') {
      const token = url.searchParams.get('token') ?? ''
      const payload = verifyJwt(token, access.keys, { aud: config.access.aud, now: now() })
      if (!payload) return sendJson(res, 400, { error: { code: 'SANDBOX_BAD_REQUEST', message: 'not a token this Access issued' } })
      const maxAge = Math.max(0, (payload.exp as number) - Math.floor(now() / 1000))
      res.writeHead(302, { location: localPath(url.searchParams.get('redirect_url')), 'set-cookie': setCookie(token, maxAge), 'content-length': 0, 'cache-control': 'no-store' })
      return res.end()
    }
    if (url.pathname === LOGOUT_PATH) {
      const page = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Signed out · Access (sandbox)</title></head><body style="font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem"><h1>Signed out</h1><p>Your Access session on this application has ended.</p><p><a href="/admin">Sign in again</a></p></body></html>`.value
      res.setHeader('set-cookie', setCookie('', 0))
      return sendHtml(res, 200, page)
    }
    if (!isProtected(url.pathname)) return forward(req, res)
    const token = cookieOf(req, COOKIE)
    const payload = token ? verifyJwt(token, access.keys, { aud: config.access.aud, now: now() }) : undefined
    if (!token || !payload || typeof payload.email !== 'string') return signIn(req, res, url)
    forward(req, res, { token, email: payload.email })
  })
}
