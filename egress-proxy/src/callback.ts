// `POST /dingtalk/events`: DingTalk's encrypted HTTP push (dingtalk.md §4). Signature checked before
// decrypting; `check_url` answered here; approval events acknowledged with the encrypted `success`
// only once the worker has recorded them, so DingTalk retries (10 s, 30 s) whenever it has not.
// Pushes are not rejected for age: DingTalk's retries reuse the original timestamp and signature,
// and the worker deduplicates them.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { CallbackCryptoError, type DingTalkCrypto } from './dingtalk-crypto.ts'
import { CallbackError, ProxyError } from './errors.ts'
import { readBody, sendJson } from './http-util.ts'
import { forwardEvent, type WorkerClientOptions } from './worker-client.ts'

export const FORWARDED_EVENT_TYPES = new Set(['bpms_instance_change'])

export type CallbackDeps = {
  crypto: DingTalkCrypto
  worker: WorkerClientOptions
  now: () => number
}

function firstOf(params: URLSearchParams, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = params.get(name)
    if (value) return value
  }
  return undefined
}

function parseEncrypt(body: Buffer): string {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    throw new CallbackError('CALLBACK_BAD_REQUEST', 400, 'the body is not JSON')
  }
  const encrypt = (parsed as { encrypt?: unknown } | null)?.encrypt
  if (typeof encrypt !== 'string' || !encrypt) throw new CallbackError('CALLBACK_BAD_REQUEST', 400, 'the body has no encrypt field')
  return encrypt
}

function decrypt(crypto: DingTalkCrypto, encrypt: string): string {
  try {
    return crypto.decrypt(encrypt)
  } catch (error) {
    if (!(error instanceof CallbackCryptoError)) throw error
    const status = error.code === 'CALLBACK_OWNER_MISMATCH' ? 403 : 400
    const code = error.code === 'CALLBACK_BAD_AES_KEY' ? 'CALLBACK_DECRYPT_FAILED' : error.code
    throw new CallbackError(code, status, error.message)
  }
}

export async function handleCallback(deps: CallbackDeps, req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
  const params = new URL(req.url ?? '/', 'http://proxy.invalid').searchParams
  const signature = firstOf(params, 'msg_signature', 'signature')
  const timestamp = firstOf(params, 'timestamp', 'timeStamp')
  const nonce = firstOf(params, 'nonce')
  const encrypt = parseEncrypt(await readBody(req))

  if (!signature || !timestamp || !nonce || !deps.crypto.verifySignature(signature, timestamp, nonce, encrypt)) {
    log.warn({ timestamp, nonce, hasSignature: Boolean(signature) }, 'dingtalk push refused: bad signature')
    throw new CallbackError('CALLBACK_BAD_SIGNATURE', 403, 'the signature does not match')
  }
  let plaintext: string
  try {
    plaintext = decrypt(deps.crypto, encrypt)
  } catch (error) {
    log.warn({ code: (error as CallbackError).code }, 'dingtalk push refused: cannot decrypt')
    throw error
  }

  let event: { EventType?: unknown; processInstanceId?: unknown; type?: unknown; eventId?: unknown }
  try {
    event = JSON.parse(plaintext)
    if (!event || typeof event !== 'object' || Array.isArray(event)) throw new TypeError('not an object')
  } catch {
    log.warn('dingtalk push refused: plaintext is not a JSON object')
    throw new CallbackError('CALLBACK_BAD_EVENT', 400, 'the decrypted event is not a JSON object')
  }
  const eventType = typeof event.EventType === 'string' ? event.EventType : ''
  const summary = { eventType, processInstanceId: event.processInstanceId, type: event.type, eventId: event.eventId }

  if (FORWARDED_EVENT_TYPES.has(eventType)) {
    const requestId = randomUUID()
    try {
      const result = await forwardEvent(deps.worker, Buffer.from(plaintext, 'utf8'), requestId)
      log.info({ ...summary, workerRequestId: requestId, workerStatus: result.status }, 'dingtalk event recorded by the worker')
    } catch (error) {
      log.error({ ...summary, workerRequestId: requestId, reason: (error as Error).message }, 'dingtalk event not recorded; DingTalk will retry')
      if (error instanceof ProxyError) error.logged = true
      throw error
    }
  } else if (eventType === 'check_url') {
    log.info('dingtalk check_url answered')
  } else {
    log.debug(summary, 'dingtalk event acknowledged without forwarding')
  }
  sendJson(res, 200, deps.crypto.reply('success', { timestamp: String(deps.now()) }))
}
