// Sends one email through Resend (the sandbox mailbox locally). Built per use from config; the
// SDK returns { data, error } instead of throwing, and so does this.
import { Resend } from 'resend'

export type OutgoingMail = {
  to: string
  subject: string
  html: string
  text: string
  attachments?: { filename: string; content: string }[]
}

export type SendResult = { ok: true; id: string | null } | { ok: false; error: string }

export type Mailer = { send(mail: OutgoingMail, idempotencyKey: string): Promise<SendResult> }

export function createMailer(options: { apiKey: string; baseUrl: string; from: string }): Mailer {
  const resend = new Resend(options.apiKey, { baseUrl: options.baseUrl })
  return {
    async send(mail, idempotencyKey) {
      const { data, error } = await resend.emails.send(
        { from: options.from, to: mail.to, subject: mail.subject, html: mail.html, text: mail.text, attachments: mail.attachments },
        { idempotencyKey },
      )
      if (error) return { ok: false, error: `${error.name}${error.statusCode ? ` (${error.statusCode})` : ''}: ${error.message}` }
      return { ok: true, id: data?.id ?? null }
    },
  }
}

/** Base64 of UTF-8 text, for attachment content. */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
