// Cloudflare Access as the sandbox plays it, on the sandbox's own origin (the team domain): the
// certs, the sign-in page that issues an application token for a chosen email and hands it to the
// front door (front-door.ts), get-identity with the user's groups (directory.ts), and control calls
// to rotate the key, mint a token for a script or set a user's groups.
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SandboxConfig } from '../config.ts'
import { SandboxError } from '../errors.ts'
import { cookieOf, isFormPost, isRecord, parseJson, readBody, redirect, sendHtml, sendJson } from '../http.ts'
import { accessLoginPage } from '../pages/access-login-page.ts'
import { createDirectory, identityOf, listUsers, parseUser, type Directory } from './directory.ts'
import { signJwt, verifyJwt } from './jwt.ts'
import { certsDocument, createAccessKeys, currentKey, rotateAccessKeys, type AccessKeys } from './keys.ts'

export const CERTS_PATH = '/cdn-cgi/access/certs'
export const LOGIN_PATH = '/cdn-cgi/access/login/'
/** On the front door: where the sign-in hands the token over and the cookie is set. */
export const AUTHORIZED_PATH = '/cdn-cgi/access/authorized'
export const COOKIE = 'CF_Authorization'
export const IDENTITY_PATH = '/cdn-cgi/access/get-identity'

/** The identities `npm start` offers with one click (wrangler.toml's ADMIN_OPERATORS / ADMIN_VIEWERS / ADMIN_OPERATOR_GROUPS). */
export const LOCAL_STAFF = [
  { email: 'ops@licensedesk.local', note: 'operator: can look and act (ADMIN_OPERATORS)' },
  { email: 'viewer@licensedesk.local', note: 'viewer: can look, not act (ADMIN_VIEWERS)' },
  { email: 'grouped@licensedesk.local', note: 'operator by group only: on no email list, in license-desk-operators (ADMIN_OPERATOR_GROUPS)' },
] as const

const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/
const BODY_LIMIT = 16 * 1024
const MAX_TTL_SECONDS = 7 * 86_400

export type Access = {
  keys: AccessKeys
  /** Groups per email, as the IdP would tell Access; get-identity lists them. */
  directory: Directory
  /** An application token for `email`, as Access issues it after a sign-in. */
  issue(email: string, options?: { ttlSeconds?: number; aud?: string }): string
  /** Handles the team domain's paths; false when the path is not Access's. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>
}

/** A stable `sub` per email, shaped like the UUID Access gives each user. */
function subOf(email: string): string {
  const hex = createHash('sha256').update(email.toLowerCase()).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

async function fields(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, BODY_LIMIT)
  if (isFormPost(req)) return Object.fromEntries(new URLSearchParams(raw.toString()))
  if (raw.toString().trim() === '') return {}
  const parsed = parseJson(raw)
  if (!parsed.ok || !isRecord(parsed.value)) throw new SandboxError('SANDBOX_BAD_REQUEST', 'the body must be a JSON object')
  return parsed.value
}

export function createAccess(config: SandboxConfig, now: () => number): Access {
  const keys = createAccessKeys(now())
  const directory = createDirectory()
  const door = config.access.frontDoor

  const issue: Access['issue'] = (email, options = {}) => {
    const seconds = Math.floor(now() / 1000)
    return signJwt(
      {
        aud: [options.aud ?? config.access.aud],
        email,
        exp: seconds + (options.ttlSeconds ?? config.access.sessionSeconds),
        iat: seconds,
        nbf: seconds,
        iss: config.publicUrl,
        type: 'app',
        identity_nonce: randomBytes(12).toString('base64url'),
        sub: subOf(email),
        country: 'CN',
      },
      currentKey(keys),
    )
  }

  /** The sign-in page and its post, for the front door's host only (Access knows its applications). */
  async function login(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const appHost = decodeURIComponent(url.pathname.slice(LOGIN_PATH.length))
    if (!door || appHost !== new URL(door.publicUrl).host) throw new SandboxError('SANDBOX_NOT_FOUND', 'no Access application on that host')
    const input = req.method === 'POST' ? await fields(req) : {}
    const wanted = String(input.redirect_url ?? url.searchParams.get('redirect_url') ?? `${door.publicUrl}/admin`)
    let target: URL
    try {
      target = new URL(wanted)
    } catch {
      target = new URL('/admin', door.publicUrl)
    }
    // Only back to the application itself: never an open redirect carrying a token.
    const back = target.origin === door.publicUrl ? `${target.pathname}${target.search}` : '/admin'
    const page = (status: number, notice?: string, email?: string) =>
      sendHtml(res, status, accessLoginPage({ appHost, action: url.pathname, redirectUrl: `${door.publicUrl}${back}`, quick: LOCAL_STAFF, directory: listUsers(directory), notice, email }), { formAction: [door.publicUrl] })
    if (req.method === 'GET' || req.method === 'HEAD') return page(200)
    if (req.method !== 'POST') throw new SandboxError('SANDBOX_NOT_FOUND', 'no such Access endpoint')
    const email = String(input.email ?? '').trim()
    if (!ADDRESS.test(email) || email.length > 254) return page(400, 'Enter an email address.', email)
    const handOver = new URL(AUTHORIZED_PATH, door.publicUrl)
    handOver.searchParams.set('token', issue(email))
    handOver.searchParams.set('redirect_url', back)
    redirect(res, handOver.toString())
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/_sandbox/access/keys' && req.method === 'GET') {
      return sendJson(res, 200, { data: { current: currentKey(keys).kid, listed: keys.listed.map((key) => key.kid), rotations: keys.rotations } })
    }
    if (path === '/_sandbox/access/rotate' && req.method === 'POST') {
      const next = rotateAccessKeys(keys, now())
      return sendJson(res, 200, { data: { current: next.kid, listed: keys.listed.map((key) => key.kid) } })
    }
    if (path === '/_sandbox/access/token' && req.method === 'POST') {
      const input = await fields(req)
      const email = typeof input.email === 'string' ? input.email.trim() : ''
      if (!ADDRESS.test(email)) throw new SandboxError('SANDBOX_BAD_REQUEST', 'email must be an email address')
      const ttl = input.ttlSeconds === undefined ? undefined : Number(input.ttlSeconds)
      if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS)) throw new SandboxError('SANDBOX_BAD_REQUEST', `ttlSeconds must be 1..${MAX_TTL_SECONDS}`)
      return sendJson(res, 200, { data: { token: issue(email, { ttlSeconds: ttl }) } })
    }
    if (path === '/_sandbox/access/users' && req.method === 'GET') return sendJson(res, 200, { data: listUsers(directory) })
    if (path === '/_sandbox/access/users' && req.method === 'POST') {
      const user = parseUser(await fields(req))
      directory.set(user.email, user.groups)
      return sendJson(res, 200, { data: user })
    }
    throw new SandboxError('SANDBOX_NOT_FOUND', 'no such Access control endpoint')
  }

  /**
   * `GET /cdn-cgi/access/get-identity`: the identity of the CF_Authorization cookie's token. Without
   * a cookie, or with a token this Access did not issue (or expired), Access answers an error and no
   * identity; the sandbox's statuses and `err` texts are its own (docs/sandbox.md).
   */
  function getIdentity(req: IncomingMessage, res: ServerResponse): void {
    const token = cookieOf(req, COOKIE)
    const headers = { 'cache-control': 'no-store' }
    if (!token) return sendJson(res, 401, { err: 'no CF_Authorization cookie' }, headers)
    const claims = verifyJwt(token, keys, { aud: config.access.aud, now: now() })
    if (!claims || typeof claims.email !== 'string') return sendJson(res, 403, { err: 'invalid or expired token' }, headers)
    sendJson(res, 200, identityOf(claims, directory), headers)
  }

  return {
    keys,
    directory,
    issue,
    async handle(req, res, url) {
      const path = url.pathname
      if (path === CERTS_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
        sendJson(res, 200, certsDocument(keys), { 'cache-control': 'no-store' })
        return true
      }
      if (path === IDENTITY_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
        getIdentity(req, res)
        return true
      }
      if (path.startsWith(LOGIN_PATH)) {
        await login(req, res, url)
        return true
      }
      if (path.startsWith('/_sandbox/access/')) {
        await control(req, res, path)
        return true
      }
      return false
    },
  }
}
