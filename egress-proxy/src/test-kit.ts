// Test helpers: real loopback servers standing in for DingTalk and the worker, keys, an env, raw
// HTTP requests (node:http keeps the request target byte for byte), and captured logs.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import {
  createProof,
  generateEd25519Jwk,
  importPublicKeys,
  importSigningKey,
  MemoryReplayStore,
  ProofError,
  PROXY_AUDIENCE,
  verifyProof,
  WORKER_AUDIENCE,
  type SigningKey,
} from '../../proof/src/index.ts'
import { loadConfig, type Env } from './config.ts'
import { createLogger } from './logger.ts'
import { buildServer, type BuildServerOptions, type ProxyApp } from './server.ts'

export type Recorded = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string; remoteAddress: string; remotePort: number }
export type Reply = { status?: number; headers?: Record<string, string>; body?: unknown; delayMs?: number; destroy?: boolean }
export type FakeHandler = (req: Recorded, count: number) => Reply | Promise<Reply>

export type FakeServer = {
  url: string
  requests: Recorded[]
  on(path: string, handler: FakeHandler): void
  close(): Promise<void>
}

/** A small node:http server that records every request and answers per path (default 404 JSON). */
export async function startFake(host = '127.0.0.1'): Promise<FakeServer> {
  const handlers = new Map<string, FakeHandler>()
  const counts = new Map<string, number>()
  const requests: Recorded[] = []
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const recorded: Recorded = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      remoteAddress: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort ?? 0,
    }
    requests.push(recorded)
    const path = recorded.url.split('?')[0]
    const count = (counts.get(path) ?? 0) + 1
    counts.set(path, count)
    const handler = handlers.get(path)
    const reply: Reply = handler ? await handler(recorded, count) : { status: 404, body: { code: 'notFound' } }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs))
    if (reply.destroy) return req.socket.destroy()
    const text = typeof reply.body === 'string' || Buffer.isBuffer(reply.body) ? reply.body : JSON.stringify(reply.body ?? {})
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers })
    res.end(text)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host}:${port}`,
    requests,
    on: (path, handler) => void handlers.set(path, handler),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export type Keys = { workerPrivate: string; workerPublic: string; proxyPrivate: string; proxyPublic: string; workerKey: SigningKey }

export async function makeKeys(): Promise<Keys> {
  const worker = await generateEd25519Jwk()
  const proxy = await generateEd25519Jwk()
  return {
    workerPrivate: JSON.stringify(worker.privateJwk),
    workerPublic: JSON.stringify(worker.publicJwk),
    proxyPrivate: JSON.stringify(proxy.privateJwk),
    proxyPublic: JSON.stringify(proxy.publicJwk),
    workerKey: await importSigningKey(worker.privateJwk),
  }
}

export const SECRETS = {
  appKey: 'dingappkey0001',
  appSecret: 'S3cr3t-app-secret-value-0123456789',
  callbackToken: 'cbTOKEN123',
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}

export const PROCESS_CODE = 'PROC-LICENSEDESK-TEST'
export const ORIGINATOR = 'licensedesk-bot'

export function makeEnv(keys: Keys, urls: { dingtalk: string; worker: string }, extra: Env = {}): Env {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_URL: urls.worker,
    WORKER_PUBLIC_JWK: keys.workerPublic,
    PROXY_PRIVATE_JWK: keys.proxyPrivate,
    DINGTALK_APP_KEY: SECRETS.appKey,
    DINGTALK_APP_SECRET: SECRETS.appSecret,
    DINGTALK_CALLBACK_TOKEN: SECRETS.callbackToken,
    DINGTALK_CALLBACK_AES_KEY: SECRETS.aesKey,
    DINGTALK_API_BASE: urls.dingtalk,
    DINGTALK_OAPI_BASE: urls.dingtalk,
    DINGTALK_PROCESS_CODE: PROCESS_CODE,
    DINGTALK_ORIGINATOR_USER_ID: ORIGINATOR,
    DINGTALK_EVENTS: 'http',
    PROXY_ID: 'proxy-test-1',
    DRAIN_DELAY_MS: '0',
    DRAIN_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'debug',
    ...extra,
  }
}

export type TestProxy = { app: ProxyApp; url: string; port: number; logs: string[]; close(): Promise<void> }

export async function startProxy(env: Env, options: Partial<BuildServerOptions> = {}): Promise<TestProxy> {
  const config = await loadConfig(env)
  const logs: string[] = []
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk))
      done()
    },
  })
  const logger = createLogger(config, { destination })
  const app = buildServer({ config, logger, ...options })
  const address = await app.listen(0, '127.0.0.1')
  return { app, url: `http://127.0.0.1:${address.port}`, port: address.port, logs, close: () => app.close() }
}

export type RawResponse = { status: number; headers: http.IncomingHttpHeaders; text: string; json: any }

/** Sends a request with the target exactly as given (no URL normalisation). */
export function rawRequest(port: number, method: string, target: string, body = '', headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

export type ProofOverrides = { aud?: string; method?: string; target?: string; body?: string; now?: number; ttl?: number; key?: SigningKey; jti?: string }

export async function signedRelay(
  proxy: TestProxy,
  keys: Keys,
  method: string,
  target: string,
  body = '',
  overrides: ProofOverrides = {},
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const proof = await createProof({
    key: overrides.key ?? keys.workerKey,
    aud: overrides.aud ?? PROXY_AUDIENCE,
    method: overrides.method ?? method,
    target: overrides.target ?? target,
    body: overrides.body ?? body,
    now: overrides.now,
    ttl: overrides.ttl,
    jti: overrides.jti,
  })
  const base: Record<string, string> = body ? { 'content-type': 'application/json' } : {}
  return rawRequest(proxy.port, method, target, body, { ...base, proof, 'x-request-id': 'test-req-1', ...headers })
}

/** Token endpoint answering `tok-<n>` with the given lifetime. */
export function tokenHandler(expireIn = 7200): FakeHandler {
  return (_req, n) => ({ body: { accessToken: `tok-${n}`, expireIn } })
}

/** Token endpoint as DingTalk does it: the app secret is checked, then the caller's IP against a whitelist. */
export function dingtalkTokenHandler(options: { allowedIps?: string[]; appSecret?: string } = {}): FakeHandler {
  return (req, n) => {
    const body = JSON.parse(req.body || '{}')
    if (body.appKey !== SECRETS.appKey || body.appSecret !== (options.appSecret ?? SECRETS.appSecret)) {
      return { status: 400, body: { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' } }
    }
    if (options.allowedIps && !options.allowedIps.includes(req.remoteAddress.replace(/^::ffff:/, ''))) {
      return { status: 403, body: { code: 'Forbidden.AccessDenied.IpNotInWhiteList', message: '访问ip不在白名单之中' } }
    }
    return { body: { accessToken: `tok-${n}`, expireIn: 7200 } }
  }
}

/**
 * `/internal/proxy-check` as the worker answers it: the proxy's proof checked with the proxy public
 * key the worker trusts, the answer signed with the worker key (worker/src/routes/internal-proxy-check.ts).
 */
export function proxyCheckHandler(keys: Keys, trusted: { proxyPublic?: string; workerKey?: SigningKey } = {}): FakeHandler {
  const replay = new MemoryReplayStore()
  return async (req) => {
    try {
      await verifyProof(req.headers.proof as string | undefined, {
        keys: await importPublicKeys(trusted.proxyPublic ?? keys.proxyPublic),
        aud: WORKER_AUDIENCE,
        method: req.method,
        target: req.url,
        body: req.body,
        replay,
      })
    } catch (error) {
      if (!(error instanceof ProofError)) throw error
      return { status: 401, body: { error: { code: error.code, message: error.message } } }
    }
    const text = JSON.stringify({ nonce: JSON.parse(req.body).nonce, worker: 'licensedesk' })
    const proof = await createProof({ key: trusted.workerKey ?? keys.workerKey, aud: PROXY_AUDIENCE, method: 'POST', target: req.url, body: text })
    return { body: text, headers: { 'licensedesk-proof': proof } }
  }
}

/** A worker proof for `GET /readyz`, which unlocks the readiness details. */
export async function readyzProof(keys: Keys, key: SigningKey = keys.workerKey): Promise<Record<string, string>> {
  return { proof: await createProof({ key, aud: PROXY_AUDIENCE, method: 'GET', target: '/readyz' }) }
}
