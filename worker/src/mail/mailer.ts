// Sends one email through Resend (the sandbox mailbox locally). Built per use from config; the
// SDK returns { data, error } instead of throwing, and so does this.
import { Resend } from 'resend'

export type OutgoingMail = {
  to: string | readonly string[]
  subject: string
  html: string
  text: string
  /** Resend's `reply_to` (MAIL_REPLY_TO on applicant mails). */
  replyTo?: string
  attachments?: { filename: string; content: string }[]
  /** Resend's tags (ASCII names and values), e.g. the delivery kind for the dashboard. */
  tags?: { name: string; value: string }[]
}

/** A failure keeps Resend's status and error name, so the outbox can tell permanent from passing. */
export type SendResult =
  | { ok: true; id: string | null }
  | { ok: false; error: string; statusCode: number | null; name: string; retryAfterMs: number | null }

export type Mailer = { send(mail: OutgoingMail, idempotencyKey: string): Promise<SendResult> }

export function createMailer(options: { apiKey: string; baseUrl: string; from: string; now?: () => number }): Mailer {
  const now = options.now ?? Date.now
  const resend = new Resend(options.apiKey, { baseUrl: options.baseUrl })
  return {
    async send(mail, idempotencyKey) {
      const { data, error, headers } = await resend.emails.send(
        { from: options.from, to: typeof mail.to === 'string' ? mail.to : [...mail.to], subject: mail.subject, html: mail.html, text: mail.text, ...(mail.replyTo ? { replyTo: mail.replyTo } : {}), attachments: mail.attachments, ...(mail.tags ? { tags: mail.tags } : {}) },
        { idempotencyKey },
      )
      if (error) {
        // The SDK answers a network failure as application_error with statusCode null.
        const statusCode = typeof error.statusCode === 'number' ? error.statusCode : null
        const name = String(error.name ?? 'unknown')
        const retryAfterMs = parseRetryAfter(headers?.['retry-after'] ?? null, now())
        return { ok: false, error: `${name}${statusCode ? ` (${statusCode})` : ''}: ${error.message}`, statusCode, name, retryAfterMs }
      }
      return { ok: true, id: data?.id ?? null }
    },
  }
}

/** `retry-after` as delay seconds or an HTTP date (RFC 9110 §10.2.3), in ms; null when absent or bad. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/** Base64 of UTF-8 text, for attachment content. */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
