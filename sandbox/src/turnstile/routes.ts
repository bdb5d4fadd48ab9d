// Cloudflare Turnstile as the page and the worker see it: the widget script, the token it obtains,
// and `POST /turnstile/v0/siteverify` (form or JSON: secret, response, remoteip, idempotency_key)
// with siteverify's answers and error codes. Tokens of the sandbox's own sitekey are single-use,
// live 300 s and carry the hostname and action they were made for; a retry with the same
// idempotency_key gets the first answer again. The testing keys behave as documented.
import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRecord, parseJson, readBody, sendJson } from '../http.ts'
import { DUMMY_TOKEN, MAX_TOKEN_LENGTH, SANDBOX_SECRET, SANDBOX_SITEKEY, TEST_SECRETS, TEST_SITEKEYS, TOKEN_TTL_MS } from './keys.ts'
import { widgetScript } from './widget-script.ts'

type Issued = { sitekey: string; action: string; cdata: string; hostname: string; issuedAt: number; spent?: { idempotencyKey?: string; answer: Verdict } }
type Verdict = Record<string, unknown> & { success: boolean }

export type TurnstileState = { tokens: Map<string, Issued>; verifications: number }

export function createTurnstileState(): TurnstileState {
  return { tokens: new Map(), verifications: 0 }
}

const BODY_LIMIT = 16 * 1024
const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const failure = (...codes: string[]): Verdict => ({ success: false, 'error-codes': codes, messages: [] })

async function fields(req: IncomingMessage): Promise<Record<string, string> | undefined> {
  const raw = await readBody(req, BODY_LIMIT)
  const type = req.headers['content-type'] ?? ''
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw.toString()))
  const parsed = parseJson(raw)
  if (!parsed.ok || !isRecord(parsed.value)) return undefined
  return Object.fromEntries(Object.entries(parsed.value).map(([key, value]) => [key, typeof value === 'string' ? value : String(value ?? '')]))
}

export function createTurnstile(state: TurnstileState, now: () => number) {
  function issue(input: Record<string, string>): { status: number; body: Record<string, unknown> } {
    const sitekey = input.sitekey ?? ''
    const test = TEST_SITEKEYS[sitekey as keyof typeof TEST_SITEKEYS]
    if (!test && sitekey !== SANDBOX_SITEKEY) return { status: 400, body: { code: 'invalid-sitekey' } }
    if (test && !test.passes) return { status: 403, body: { code: 'challenge-failed' } }
    const token = test ? DUMMY_TOKEN : `0.${randomBytes(96).toString('base64url')}`
    if (!test) state.tokens.set(token, { sitekey, action: input.action ?? '', cdata: input.cdata ?? '', hostname: input.hostname ?? '', issuedAt: now() })
    return { status: 200, body: { token, ttl_ms: TOKEN_TTL_MS } }
  }

  function verify(input: Record<string, string>): Verdict {
    const { secret, response, idempotency_key: idempotencyKey } = input
    if (!secret) return failure('missing-input-secret')
    const test = TEST_SECRETS[secret as keyof typeof TEST_SECRETS]
    if (!test && secret !== SANDBOX_SECRET) return failure('invalid-input-secret')
    if (!response) return failure('missing-input-response')
    if (idempotencyKey !== undefined && idempotencyKey !== '' && !UUID.test(idempotencyKey)) return failure('bad-request')
    if (test) {
      return test.success
        ? { success: true, challenge_ts: new Date(now()).toISOString(), hostname: 'example.com', 'error-codes': [], action: '', cdata: '' }
        : failure(test.code)
    }
    const issued = response.length <= MAX_TOKEN_LENGTH ? state.tokens.get(response) : undefined
    if (!issued) return failure('invalid-input-response')
    if (issued.spent) {
      // The same token again: the first answer for a retry under the same key, else spent.
      return issued.spent.idempotencyKey && issued.spent.idempotencyKey === idempotencyKey ? issued.spent.answer : failure('timeout-or-duplicate')
    }
    if (now() - issued.issuedAt > TOKEN_TTL_MS) return failure('timeout-or-duplicate')
    const answer: Verdict = {
      success: true,
      challenge_ts: new Date(issued.issuedAt).toISOString(),
      hostname: issued.hostname,
      'error-codes': [],
      action: issued.action,
      cdata: issued.cdata,
      metadata: { ephemeral_id: `x:${randomUUID()}` },
    }
    issued.spent = { idempotencyKey: idempotencyKey || undefined, answer }
    return answer
  }

  /** Handles `/turnstile/v0/*`; false when the path is not Turnstile's. */
  return async function handleTurnstile(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname === '/turnstile/v0/api.js' && req.method === 'GET') {
      const script = widgetScript()
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'content-length': Buffer.byteLength(script), 'cache-control': 'no-cache' })
      res.end(script)
      return true
    }
    if (url.pathname === '/turnstile/v0/token') {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS).end()
        return true
      }
      if (req.method !== 'POST') return false
      const input = await fields(req)
      const { status, body } = input ? issue(input) : { status: 400, body: { code: 'bad-request' } }
      sendJson(res, status, body, CORS)
      return true
    }
    if (url.pathname === '/turnstile/v0/siteverify' && req.method === 'POST') {
      const input = await fields(req)
      state.verifications += 1
      sendJson(res, 200, input ? verify(input) : failure('bad-request'))
      return true
    }
    return false
  }
}
