// Cloudflare Access inside the test isolate: RSA key pairs, the certs document (`keys`) at a URL of
// its own served through the fetch spy, and application tokens signed the way Access signs them.
// The worker's real verification code (access.ts) checks them.
import { env } from 'cloudflare:workers'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose'
import { vi } from 'vitest'
import { call } from './helpers.ts'

export type TestKey = { kid: string; privateKey: CryptoKey; privateJwk: JWK; publicJwk: JWK }

/** How the certs endpoint answers: keys, no connection, an error status, or a body that is not JSON. */
export type CertsMode = 'up' | 'down' | 'status500' | 'html'

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
  /** The bindings the worker sees: wrangler.toml's, with this certs URL. */
  readonly env: Cloudflare.Env

  private constructor(vars: Partial<Cloudflare.Env>) {
    this.env = { ...env, ACCESS_CERTS_URL: this.certsUrl, ...vars }
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

  async handle(request: Request): Promise<Response> {
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
