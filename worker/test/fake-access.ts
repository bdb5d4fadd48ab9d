// Cloudflare Access inside the test isolate: RSA key pairs, the certs document (`keys`) and the
// get-identity endpoint (groups from a directory) at URLs of its own served through the fetch spy,
// and application tokens signed the way Access signs them. The worker's real code checks them.
import { env } from 'cloudflare:workers'
import { decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose'
import { vi } from 'vitest'
import { call } from './helpers.ts'

export type TestKey = { kid: string; privateKey: CryptoKey; privateJwk: JWK; publicJwk: JWK }

/** How the certs endpoint answers: keys, no connection, an error status, or a body that is not JSON. */
export type CertsMode = 'up' | 'down' | 'status500' | 'html'

/** How get-identity answers: the identity, no connection, an error status, a body that is not JSON. */
export type IdentityMode = 'up' | 'down' | 'status500' | 'html'

/** A group as get-identity lists it. */
export type FakeGroup = { id: string; name: string; email: string }

export const OPERATOR = 'ops@licensedesk.local'
export const VIEWER = 'viewer@licensedesk.local'

const b64url = (bytes: Uint8Array | string) =>
  btoa(typeof bytes === 'string' ? bytes : String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')

export async function makeKey(): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const kid = crypto.randomUUID().replaceAll('-', '')
  return { kid, privateKey, privateJwk: await exportJWK(privateKey), publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } }
}

export class FakeAccess {
  /** Its own URL, so each test starts with an empty key cache in the worker. */
  readonly certsUrl = `https://team-${crypto.randomUUID()}.access.test/cdn-cgi/access/certs`
  /** The keys the certs endpoint lists, current first. */
  listed: TestKey[] = []
  mode: CertsMode = 'up'
  /** Drop `alg` from the listed JWKs (the JWKS format allows it; Access sends it). */
  omitAlg = false
  fetches = 0
  /** Its own URL, so each test starts with an empty groups cache in the worker. */
  readonly identityUrl = `https://team-${crypto.randomUUID()}.access.test/cdn-cgi/access/get-identity`
  identityMode: IdentityMode = 'up'
  /** Groups per lower-cased email; get-identity lists none for anyone else. */
  readonly directory = new Map<string, FakeGroup[]>()
  /** Replace parts of every identity answer (e.g. another `email`, `groups` not an array). */
  identityOverrides: Record<string, unknown> = {}
  identityCalls = 0
  /** The CF_Authorization cookie of each get-identity call. */
  readonly identityCookies: string[] = []
  /** The bindings the worker sees: wrangler.toml's, with this certs URL. */
  readonly env: Cloudflare.Env

  private constructor(vars: Partial<Cloudflare.Env>) {
    this.env = { ...env, ACCESS_CERTS_URL: this.certsUrl, ACCESS_IDENTITY_URL: this.identityUrl, ...vars }
  }

  /** A fake Access with one key, answering through a fetch spy (restore it with vi.restoreAllMocks). */
  static async start(vars: Partial<Cloudflare.Env> = {}): Promise<FakeAccess> {
    const access = new FakeAccess(vars)
    access.listed = [await makeKey()]
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => access.handle(new Request(input, init)))
    return access
  }

  get current(): TestKey {
    return this.listed[0]
  }

  /** As Access does: a new current key, the previous one still listed, older ones gone. */
  async rotate(): Promise<TestKey> {
    const next = await makeKey()
    this.listed = [next, ...this.listed.slice(0, 1)]
    return next
  }

  /** Whether `url` is one of this Access's endpoints (for a fetch spy shared with other fakes). */
  owns(url: string): boolean {
    return url === this.certsUrl || url === this.identityUrl
  }

  /** Puts `email` in groups named `names` (ids are derived from the names: `id-<name>`). */
  setGroups(email: string, names: string[]): void {
    this.directory.set(email.toLowerCase(), names.map((name) => ({ id: `id-${name}`, name, email: `${name}@groups.test` })))
  }

  private identity(request: Request): Response {
    this.identityCalls++
    const cookie = /(?:^|;\s*)CF_Authorization=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1]
    this.identityCookies.push(cookie ?? '')
    if (this.identityMode === 'down') throw new TypeError('fetch failed: connection refused')
    if (this.identityMode === 'status500') return new Response('upstream error', { status: 500 })
    if (this.identityMode === 'html') return new Response('<html>maintenance</html>', { status: 200, headers: { 'content-type': 'text/html' } })
    if (!cookie) return Response.json({ err: 'no app token set' }, { status: 400 })
    const { email, sub } = decodeJwt(cookie)
    const groups = this.directory.get(String(email).toLowerCase()) ?? []
    return Response.json({ id: sub, email, name: String(email).split('@')[0], groups, idp: { id: 'idp-test', type: 'azureAD' }, user_uuid: sub, version: 2, ...this.identityOverrides })
  }

  async handle(request: Request): Promise<Response> {
    if (request.url === this.identityUrl) return this.identity(request)
    if (request.url !== this.certsUrl) throw new TypeError(`fetch failed: unexpected request to ${request.url}`)
    this.fetches++
    if (this.mode === 'down') throw new TypeError('fetch failed: connection refused')
    if (this.mode === 'status500') return new Response('upstream error', { status: 500 })
    if (this.mode === 'html') return new Response('<html>maintenance</html>', { status: 200, headers: { 'content-type': 'text/html' } })
    const keys = this.listed.map(({ publicJwk }) => (this.omitAlg ? { ...publicJwk, alg: undefined } : publicJwk))
    return Response.json({ keys })
  }

  /** Claims of a person's app token as Access issues them, for `now` (epoch ms). */
  claims(email: string | null = OPERATOR, now = Date.now()): JWTPayload {
    const seconds = Math.floor(now / 1000)
    return {
      aud: [this.env.ACCESS_AUD],
      ...(email === null ? { common_name: 'service-token.access' } : { email }),
      exp: seconds + 3600,
      iat: seconds,
      nbf: seconds,
      iss: this.env.ACCESS_TEAM_DOMAIN,
      type: 'app',
      identity_nonce: crypto.randomUUID().slice(0, 16),
      sub: email === null ? '' : crypto.randomUUID(),
      country: 'CN',
    }
  }

  /** A token signed by `key` (default the current one) with `alg` (default RS256). */
  async sign(overrides: JWTPayload & { email?: string | null } = {}, options: { key?: TestKey; alg?: string; now?: number } = {}): Promise<string> {
    const key = options.key ?? this.current
    const { email = OPERATOR, ...rest } = overrides
    const payload = { ...this.claims(email, options.now), ...rest }
    const alg = options.alg ?? 'RS256'
    // The same RSA key under another algorithm (RS512, PS256) needs its own CryptoKey.
    const signingKey = alg === 'RS256' ? key.privateKey : await importJWK(key.privateJwk, alg)
    return new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' }).sign(signingKey)
  }

  /** `alg: none`: claims that would pass, and no signature at all. */
  unsigned(): string {
    return `${b64url(JSON.stringify({ alg: 'none', kid: this.current.kid, typ: 'JWT' }))}.${b64url(JSON.stringify(this.claims()))}.`
  }

  /** Algorithm confusion: HS256 keyed with the public key's JSON, as a naive verifier would take it. */
  async hmacWithPublicKey(): Promise<string> {
    const secret = new TextEncoder().encode(JSON.stringify(this.current.publicJwk))
    return new SignJWT(this.claims()).setProtectedHeader({ alg: 'HS256', kid: this.current.kid, typ: 'JWT' }).sign(secret)
  }

  /** Sends a request to the worker with this Access's bindings. */
  request(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
    const { token, ...rest } = init
    const headers = new Headers(rest.headers)
    if (token !== undefined) headers.set('cf-access-jwt-assertion', token)
    return call(new Request(`http://localhost:8787${path}`, { ...rest, headers }), this.env)
  }
}
