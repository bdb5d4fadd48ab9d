// Test helpers (not a test file): a sandbox on a free loopback port, callers from the whitelisted
// address (127.0.0.2) and from elsewhere (127.0.0.1), and a fake push receiver that speaks
// DingTalk's crypto the way the proxy does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'undici'
import { DingTalkCrypto } from '../../egress-proxy/src/dingtalk-crypto.ts'
import type { SandboxConfig, SandboxConfigInput } from './config.ts'
import { defineSandboxConfig } from './config.ts'
import { buildSandbox, type Sandbox } from './sandbox.ts'

export type TestSandbox = Sandbox & { url: string; config: SandboxConfig }

export async function startSandbox(input: SandboxConfigInput = {}, options: { now?: () => number } = {}): Promise<TestSandbox> {
  const config = defineSandboxConfig({
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://127.0.0.1:8789',
    ...input,
    mail: { rateLimit: 1000, ...input.mail },
    push: { retryDelays: [100, 200], ...input.push },
  })
  const sandbox = buildSandbox({ config, now: options.now })
  await new Promise<void>((done) => sandbox.server.listen(0, '127.0.0.1', done))
  const { port } = sandbox.server.address() as AddressInfo
  return { ...sandbox, url: `http://127.0.0.1:${port}`, config }
}

/** Calls leave from the proxy's egress address, as in the local stack. undici 7 reads `localAddress`
 * as a top-level Agent option; `connect: { localAddress }` is overridden by it (null) and ignored. */
export const fromAllowed = new Agent({ localAddress: '127.0.0.2' })
/** Calls leave from 127.0.0.1, which the default whitelist does not list. */
export const fromElsewhere = new Agent({ localAddress: '127.0.0.1' })

export type CallOptions = { method?: string; body?: unknown; headers?: Record<string, string>; from?: Agent }
export type CallResult = { status: number; body: any; headers: Record<string, string | string[] | undefined> }

export async function call(base: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const { method = options.body === undefined ? 'GET' : 'POST', body, headers = {}, from = fromAllowed } = options
  const response = await request(`${base}${path}`, {
    method: method as 'GET',
    dispatcher: from,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.body.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    // not JSON: keep the text
  }
  return { status: response.statusCode, body: parsed, headers: response.headers }
}

export async function tokenFor(sandbox: TestSandbox): Promise<string> {
  const { appKey, appSecret } = sandbox.config.dingtalk
  const { body } = await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret } })
  return body.accessToken
}

export function createBody(sandbox: TestSandbox, fields: { name: string; value: unknown }[] = [{ name: '申请编号', value: 'APP-0001' }]) {
  return { processCode: sandbox.config.dingtalk.processCode, originatorUserId: 'user-1', deptId: 1, formComponentValues: fields }
}

export async function createInstance(sandbox: TestSandbox, fields?: { name: string; value: unknown }[]): Promise<string> {
  const token = await tokenFor(sandbox)
  const { status, body } = await call(sandbox.url, '/v1.0/workflow/processInstances', {
    body: createBody(sandbox, fields),
    headers: { 'x-acs-dingtalk-access-token': token },
  })
  if (status !== 200) throw new Error(`create failed: ${status} ${JSON.stringify(body)}`)
  return body.instanceId
}

export type ReceivedPush = {
  at: number
  query: URLSearchParams
  body: any
  signatureValid: boolean
  plaintext?: string
}

/** What the fake receiver answers: DingTalk's encrypted success, or something DingTalk rejects. */
export type ReceiverMode = 'success' | 'status500' | 'plain-success' | 'wrong-signature' | 'slow'

export type FakeReceiver = { url: string; received: ReceivedPush[]; mode: ReceiverMode; close(): Promise<void> }

export async function startReceiver(config: SandboxConfig, mode: ReceiverMode = 'success'): Promise<FakeReceiver> {
  const crypto = new DingTalkCrypto({ token: config.dingtalk.callbackToken, aesKey: config.dingtalk.callbackAesKey, ownerKey: config.dingtalk.appKey })
  const received: ReceivedPush[] = []
  const receiver = { url: '', received, mode, close: async () => {} } as FakeReceiver
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = new URL(req.url ?? '/', 'http://receiver')
    const query = url.searchParams
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}')
    const signature = query.get('msg_signature') ?? query.get('signature') ?? ''
    const timestamp = query.get('timestamp') ?? query.get('timeStamp') ?? ''
    const nonce = query.get('nonce') ?? ''
    const signatureValid = crypto.verifySignature(signature, timestamp, nonce, body.encrypt ?? '')
    const push: ReceivedPush = { at: Date.now(), query, body, signatureValid }
    try {
      push.plaintext = crypto.decrypt(body.encrypt)
    } catch {
      // left undefined: the test asserts on it
    }
    received.push(push)
    const reply = crypto.reply('success')
    switch (receiver.mode) {
      case 'status500':
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"WORKER_UNAVAILABLE"}}')
        return
      case 'plain-success':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('success')
        return
      case 'wrong-signature':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...reply, msg_signature: '0'.repeat(40) }))
        return
      case 'slow':
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply)), 1_000)
        return
      default:
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
    }
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk/events`
  receiver.close = async () => {
    server.closeAllConnections()
    await new Promise<void>((done) => server.close(() => done()))
  }
  return receiver
}

export async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value as T
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((done) => setTimeout(done, 20))
  }
}
