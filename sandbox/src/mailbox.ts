// The Resend-compatible mailbox: `POST /emails` (auth, injected failures, rate limit,
// Idempotency-Key, validation, store) and `GET /emails/:id`. Answers use Resend's error shape.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SandboxConfig } from './config.ts'
import { BodyTooLargeError, parseJson, readBody, sendJson } from './http.ts'
import { claim, complete, fingerprint, release, validKey } from './idempotency.ts'
import type { MailError } from './mail-errors.ts'
import { mailErrors as e } from './mail-errors.ts'
import { checkEmail } from './mail-validation.ts'
import type { SandboxState, StoredEmail } from './state.ts'
import { takeSlot } from './state.ts'

/** Attachments may reach 40 MB after base64; leave room for the rest of the JSON. */
const BODY_LIMIT = 48 * 1024 * 1024
const ANY_KEY = /^re_\S+$/

export type MailboxOptions = { config: SandboxConfig; state: SandboxState; now: () => number; onChange?: () => void }

function fail(res: ServerResponse, error: MailError, headers: Record<string, string> = {}): void {
  sendJson(res, error.statusCode, error, headers)
}

export function createMailbox({ config, state, now, onChange }: MailboxOptions) {
  const { apiKeys, rateLimit } = config.mail

  /** The caller's key, or the 401/403 Resend answers. */
  function authenticate(req: IncomingMessage): { key: string } | { error: MailError } {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    if (!match) return { error: e.missingApiKey() }
    const key = match[1]
    const accepted = apiKeys ? apiKeys.includes(key) : ANY_KEY.test(key)
    return accepted ? { key } : { error: e.invalidApiKey() }
  }

  function rateHeaders(key: string): Record<string, string> {
    if (rateLimit <= 0) return {}
    const used = (state.mailRate.get(key) ?? []).filter((at) => now() - at < 1000).length
    return { 'ratelimit-limit': String(rateLimit), 'ratelimit-remaining': String(Math.max(0, rateLimit - used)), 'ratelimit-reset': '1' }
  }

  async function send(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = authenticate(req)
    if ('error' in auth) return fail(res, auth.error)
    const { key } = auth
    if (state.faults.mailFailures > 0) {
      state.faults.mailFailures -= 1
      return fail(res, e.application())
    }
    if (state.faults.mailThrottled > 0) {
      // Resend's 429 under a burst or an account limit: the caller must wait `retry-after` seconds.
      state.faults.mailThrottled -= 1
      return fail(res, e.rateLimited(rateLimit), { ...rateHeaders(key), 'retry-after': String(state.faults.mailRetryAfterSeconds) })
    }
    if (!takeSlot(state.mailRate, key, rateLimit, now())) {
      return fail(res, e.rateLimited(rateLimit), { ...rateHeaders(key), 'retry-after': '1' })
    }
    const headers = rateHeaders(key)
    const idempotencyKey = req.headers['idempotency-key']
    if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !validKey(idempotencyKey))) {
      return fail(res, e.invalidIdempotencyKey(), headers)
    }

    let raw: Buffer
    try {
      raw = await readBody(req, BODY_LIMIT)
    } catch (error) {
      if (error instanceof BodyTooLargeError) return fail(res, e.tooLarge(), { ...headers, connection: 'close' })
      throw error
    }
    const parsed = parseJson(raw)
    if (!parsed.ok) return fail(res, e.validation('The request body must be valid JSON.'), headers)

    const scope = `${key}\n${idempotencyKey ?? ''}`
    const claimed = idempotencyKey === undefined ? undefined : claim(state.idempotency, scope, fingerprint(parsed.value), now())
    if (claimed?.kind === 'conflict') return fail(res, claimed.error, headers)
    if (claimed?.kind === 'replay') return sendJson(res, claimed.status, claimed.body, headers)

    try {
      const checked = checkEmail(parsed.value)
      if (!checked.ok) {
        // a rejected request leaves nothing behind; the key may be used again
        if (claimed) release(state.idempotency, scope, claimed.entry)
        return fail(res, checked.error, headers)
      }
      const refused = [checked.value.to].flat().find((to) => state.faults.mailRejectTo.some((address) => String(to).toLowerCase().includes(address.toLowerCase())))
      if (refused !== undefined) {
        if (claimed) release(state.idempotency, scope, claimed.entry)
        return fail(res, e.validation('Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.'), headers)
      }
      if (state.faults.mailDelayMs > 0) await sleep(state.faults.mailDelayMs)

      const email: StoredEmail = {
        id: randomUUID(),
        ...checked.value,
        ...(idempotencyKey === undefined ? {} : { idempotency_key: idempotencyKey }),
        created_at: new Date(now()).toISOString(),
      }
      state.emails.push(email)
      onChange?.()
      const body = { id: email.id }
      if (claimed) complete(claimed.entry, 200, body)
      sendJson(res, 200, body, headers)
    } catch (error) {
      if (claimed && !claimed.entry.done) release(state.idempotency, scope, claimed.entry)
      throw error
    }
  }

  function retrieve(req: IncomingMessage, res: ServerResponse, id: string): void {
    const auth = authenticate(req)
    if ('error' in auth) return fail(res, auth.error)
    const email = state.emails.find((item) => item.id === id)
    if (!email) return fail(res, e.notFound('Email not found'))
    sendJson(res, 200, {
      object: 'email',
      id: email.id,
      to: email.to,
      from: email.from,
      created_at: email.created_at,
      subject: email.subject,
      html: email.html ?? null,
      text: email.text ?? null,
      bcc: email.bcc,
      cc: email.cc,
      reply_to: email.reply_to,
      last_event: 'delivered',
      scheduled_at: email.scheduled_at ?? null,
      tags: email.tags,
    })
  }

  return async function handleMail(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/emails') {
      if (req.method === 'POST') return send(req, res)
      return fail(res, e.methodNotAllowed())
    }
    const match = /^\/emails\/([^/]+)$/.exec(url.pathname)
    if (match && req.method === 'GET') return retrieve(req, res, decodeURIComponent(match[1]))
    return fail(res, e.notFound())
  }
}
