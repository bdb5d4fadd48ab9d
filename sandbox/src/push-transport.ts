// One HTTP push as DingTalk sends it (dingtalk.md §4.2–4.4): encrypt, sign, POST `{encrypt}` with
// signature/timestamp/nonce in the query, then accept only a JSON reply whose msg_signature
// verifies and whose encrypt decrypts to "success".
import { randomBytes } from 'node:crypto'
import { errors, request, type Dispatcher } from 'undici'
import type { PushCrypto } from './push-crypto.ts'
import { isRecord, parseJson } from './http.ts'
import type { PushAttempt, PushSpelling } from './state.ts'

export type PushRequest = {
  url: string
  crypto: PushCrypto
  plaintext: string
  spelling: PushSpelling
  timeoutMs: number
  dispatcher: Dispatcher
  now: () => number
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const DETAIL_LIMIT = 300

function nonce8(): string {
  let out = ''
  for (const byte of randomBytes(8)) out += NONCE_ALPHABET[byte % NONCE_ALPHABET.length]
  return out
}

/** The push target with the signature parameters in the chosen spelling. */
export function pushUrl(base: string, spelling: PushSpelling, signature: string, timestamp: string, nonce: string): string {
  const url = new URL(base)
  if (spelling !== 'msg_signature') {
    url.searchParams.set('signature', signature)
    url.searchParams.set('timestamp', timestamp)
  }
  if (spelling !== 'signature') {
    url.searchParams.set('msg_signature', signature)
    url.searchParams.set('timeStamp', timestamp)
  }
  url.searchParams.set('nonce', nonce)
  return url.toString()
}

/** Why a reply is not DingTalk's accepted answer, or undefined when it is. */
export function replyProblem(text: string, crypto: PushCrypto): string | undefined {
  const parsed = parseJson(text)
  if (!parsed.ok || !isRecord(parsed.value)) return 'the reply is not a JSON object'
  const { msg_signature: signature, timeStamp, nonce, encrypt } = parsed.value
  if (typeof signature !== 'string' || typeof timeStamp !== 'string' || typeof nonce !== 'string' || typeof encrypt !== 'string') {
    return 'the reply lacks string msg_signature, timeStamp, nonce and encrypt'
  }
  if (crypto.sign(timeStamp, nonce, encrypt) !== signature.toLowerCase()) return 'msg_signature does not verify'
  let plain: string
  try {
    plain = crypto.open(encrypt)
  } catch (error) {
    return `encrypt cannot be decrypted: ${(error as Error).message}`
  }
  return plain === 'success' ? undefined : `encrypt decrypts to ${JSON.stringify(plain.slice(0, 50))}, not "success"`
}

function isTimeout(error: unknown): boolean {
  const name = (error as Error)?.name
  return name === 'TimeoutError' || name === 'AbortError' || error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError
}

export async function sendPush(push: PushRequest): Promise<PushAttempt> {
  const at = push.now()
  const started = performance.now()
  const encrypt = push.crypto.seal(push.plaintext)
  const timestamp = String(at)
  const nonce = nonce8()
  const url = pushUrl(push.url, push.spelling, push.crypto.sign(timestamp, nonce, encrypt), timestamp, nonce)
  const done = (fields: Omit<PushAttempt, 'at' | 'durationMs'>): PushAttempt => ({ at, durationMs: Math.round(performance.now() - started), ...fields })
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ encrypt }),
      dispatcher: push.dispatcher,
      signal: AbortSignal.timeout(push.timeoutMs),
    })
    const text = await response.body.text()
    if (response.statusCode < 200 || response.statusCode > 299) {
      return done({ statusCode: response.statusCode, outcome: 'http_error', detail: text.slice(0, DETAIL_LIMIT) })
    }
    const problem = replyProblem(text, push.crypto)
    return problem === undefined
      ? done({ statusCode: response.statusCode, outcome: 'delivered' })
      : done({ statusCode: response.statusCode, outcome: 'bad_reply', detail: problem })
  } catch (error) {
    if (isTimeout(error)) return done({ statusCode: null, outcome: 'timeout', detail: `no answer within ${push.timeoutMs} ms` })
    return done({ statusCode: null, outcome: 'network_error', detail: (error as Error).message })
  }
}
