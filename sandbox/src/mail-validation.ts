// Resend's checks of a `POST /emails` body (resend.com/docs/api-reference/emails/send-email):
// required from/to/subject and a body, address formats, ≤ 50 recipients, base64 attachments
// ≤ 40 MB. Returns the email to store or the 422 Resend would answer.
import { isRecord } from './http.ts'
import type { MailError } from './mail-errors.ts'
import { mailErrors as e } from './mail-errors.ts'
import type { StoredAttachment, StoredEmail } from './state.ts'

export type EmailDraft = Omit<StoredEmail, 'id' | 'created_at' | 'idempotency_key'>
export type EmailCheck = { ok: true; value: EmailDraft } | { ok: false; error: MailError }

export const MAX_RECIPIENTS = 50
/** 40 MB per email, counted after base64 encoding. */
export const MAX_ATTACHMENT_BYTES = 40 * 1024 * 1024

const ADDRESS = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/
const NAMED = /^\s*(?:"[^"]*"|[^<>"]*?)\s*<([^<>]+)>\s*$/
const TAG = /^[A-Za-z0-9_-]{1,256}$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** `email@example.com` or `Name <email@example.com>`. */
export function isMailbox(value: string): boolean {
  const named = NAMED.exec(value)
  return ADDRESS.test(named ? named[1].trim() : value.trim())
}

export function isBase64(value: string): boolean {
  return BASE64.test(value.replace(/\s+/g, ''))
}

function formatMessage(field: string): string {
  return `Invalid \`${field}\` field. The email address needs to follow the \`email@example.com\` or \`Name <email@example.com>\` format.`
}

class Invalid extends Error {
  readonly error: MailError
  constructor(error: MailError) {
    super(error.message)
    this.error = error
  }
}

function addresses(body: Record<string, unknown>, field: string, required: boolean): string[] {
  const value = body[field]
  if (value === undefined || value === null) {
    if (required) throw new Invalid(e.missingField(field))
    return []
  }
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
    throw new Invalid(e.validation(`The \`${field}\` field must be a \`string\` or an array of strings.`))
  }
  if (list.length === 0 && required) throw new Invalid(e.missingField(field))
  if (list.length > MAX_RECIPIENTS) throw new Invalid(e.validation(`The \`${field}\` field accepts at most ${MAX_RECIPIENTS} addresses.`))
  for (const item of list as string[]) if (!isMailbox(item)) throw new Invalid(e.validation(formatMessage(field)))
  return list as string[]
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new Invalid(e.validation(`The \`${field}\` field must be a \`string\`.`))
  return value
}

function attachments(value: unknown): StoredAttachment[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new Invalid(e.validation('The `attachments` field must be an array.'))
  let total = 0
  return value.map((item, index) => {
    if (!isRecord(item)) throw new Invalid(e.invalidAttachment('Attachment must have either a `content` or `path`.'))
    const { content, path, filename, content_type: contentType, content_id: contentId } = item
    if ((content === undefined || content === null) && (path === undefined || path === null)) {
      throw new Invalid(e.invalidAttachment('Attachment must have either a `content` or `path`.'))
    }
    const out: StoredAttachment = {}
    if (content !== undefined && content !== null) {
      if (typeof content !== 'string' || !isBase64(content)) {
        throw new Invalid(e.invalidAttachment(`Attachment ${index} \`content\` must be a base64 string.`))
      }
      out.content = content.replace(/\s+/g, '')
      total += out.content.length
    }
    if (path !== undefined && path !== null) {
      if (typeof path !== 'string' || !URL.canParse(path)) throw new Invalid(e.invalidAttachment(`Attachment ${index} \`path\` must be a URL.`))
      out.path = path
    }
    if (filename !== undefined && filename !== null && filename !== false) {
      if (typeof filename !== 'string') throw new Invalid(e.invalidAttachment(`Attachment ${index} \`filename\` must be a string.`))
      out.filename = filename
    }
    if (typeof contentType === 'string') out.content_type = contentType
    if (typeof contentId === 'string') out.content_id = contentId
    if (total > MAX_ATTACHMENT_BYTES) throw new Invalid(e.validation('Attachments exceed the 40 MB limit per email.'))
    return out
  })
}

function headers(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (!isRecord(value) || Object.values(value).some((item) => typeof item !== 'string')) {
    throw new Invalid(e.validation('The `headers` field must be an object with string values.'))
  }
  return { ...(value as Record<string, string>) }
}

function tags(value: unknown): { name: string; value: string }[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new Invalid(e.validation('The `tags` field must be an array.'))
  return value.map((tag) => {
    if (!isRecord(tag) || typeof tag.name !== 'string' || typeof tag.value !== 'string' || !TAG.test(tag.name) || !TAG.test(tag.value)) {
      throw new Invalid(e.validation('Tags should only contain ASCII letters, numbers, underscores, or dashes.'))
    }
    return { name: tag.name, value: tag.value }
  })
}

export function checkEmail(body: unknown): EmailCheck {
  try {
    if (!isRecord(body)) throw new Invalid(e.validation('The request body must be a JSON object.'))
    if (body.template !== undefined && body.template !== null) {
      throw new Invalid(e.validation('The sandbox mailbox does not render templates; send `html` or `text`.'))
    }
    if (body.from === undefined || body.from === null) throw new Invalid(e.missingField('from'))
    if (typeof body.from !== 'string') throw new Invalid(e.validation('The `from` field must be a `string`.'))
    if (!isMailbox(body.from)) throw new Invalid(e.validation(formatMessage('from')))
    const to = addresses(body, 'to', true)
    if (body.subject === undefined || body.subject === null) throw new Invalid(e.missingField('subject'))
    const subject = optionalString(body, 'subject') as string
    const html = optionalString(body, 'html')
    const text = optionalString(body, 'text')
    if (html === undefined && text === undefined) throw new Invalid(e.missingField('html` or `text'))
    const draft: EmailDraft = {
      from: body.from,
      to,
      cc: addresses(body, 'cc', false),
      bcc: addresses(body, 'bcc', false),
      reply_to: addresses(body, 'reply_to', false),
      subject,
      ...(html === undefined ? {} : { html }),
      ...(text === undefined ? {} : { text }),
      attachments: attachments(body.attachments),
      headers: headers(body.headers),
      tags: tags(body.tags),
    }
    const scheduledAt = optionalString(body, 'scheduled_at')
    if (scheduledAt !== undefined) draft.scheduled_at = scheduledAt
    return { ok: true, value: draft }
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, error: error.error }
    throw error
  }
}
