// The control API under `/_sandbox/` (docs/sandbox.md): inspect and drive instances, pushes,
// tokens, faults, call counts and the mailbox. JSON in and out; page forms get a 303 back.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Approvals } from './approvals.ts'
import { SandboxError } from './errors.ts'
import { isFormPost, isRecord, parseJson, readBody, redirect, sendJson } from './http.ts'
import { controlView } from './instance-views.ts'
import type { Pusher } from './pusher.ts'
import type { Delivery, Faults, PushSpelling, SandboxState, StoredEmail } from './state.ts'
import { PUSH_SPELLINGS, resetState } from './state.ts'
import { quotaMonth } from './times.ts'

/** DingTalk standard edition's monthly API quota (dingtalk.md §8). */
export const MONTHLY_QUOTA = 5_000
const BODY_LIMIT = 64 * 1024
const MAX_MAIL_DELAY_MS = 60_000
const MAX_CREATE_DELAY_MS = 120_000

export type ControlOptions = {
  state: SandboxState
  now: () => number
  approvals: Approvals
  pusher: Pusher
  onChange?: () => void
  /** Also run by `POST /_sandbox/reset` (the Stream gateway drops its pending events). */
  onReset?: () => void
}

type Input = Record<string, unknown>

function bad(message: string): SandboxError {
  return new SandboxError('SANDBOX_BAD_REQUEST', message)
}

async function readInput(req: IncomingMessage): Promise<Input> {
  const raw = await readBody(req, BODY_LIMIT)
  if (isFormPost(req)) return Object.fromEntries(new URLSearchParams(raw.toString()))
  if (raw.toString().trim() === '') return {}
  const parsed = parseJson(raw)
  if (!parsed.ok || !isRecord(parsed.value)) throw bad('the body must be a JSON object')
  return parsed.value
}

function spellingOf(input: Input): PushSpelling | undefined {
  const value = input.spelling
  if (value === undefined || value === '') return undefined
  if (!PUSH_SPELLINGS.includes(value as PushSpelling)) throw bad(`spelling must be one of ${PUSH_SPELLINGS.join(', ')}`)
  return value as PushSpelling
}

function remarkOf(input: Input): string | undefined {
  if (input.remark === undefined || input.remark === '') return undefined
  if (typeof input.remark !== 'string') throw bad('remark must be a string')
  return input.remark
}

function faultsPatch(input: Input): Partial<Faults> {
  const patch: Partial<Faults> = {}
  for (const [key, value] of Object.entries(input)) {
    if (key === 'dingtalkDown') {
      if (value === true) patch.dingtalkDown = '503'
      else if (value === false || value === null) patch.dingtalkDown = false
      else if (value === '503' || value === 'reset' || value === 'hang') patch.dingtalkDown = value
      else throw bad('dingtalkDown must be true, false, "503", "reset" or "hang"')
    } else if (key === 'mailFailures' || key === 'mailDelayMs' || key === 'createDelayMs') {
      const max = key === 'mailFailures' ? Number.MAX_SAFE_INTEGER : key === 'mailDelayMs' ? MAX_MAIL_DELAY_MS : MAX_CREATE_DELAY_MS
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max) throw bad(`${key} must be a whole number 0..${max}`)
      patch[key] = value as number
    } else if (key === 'mailThrottled' || key === 'mailRetryAfterSeconds') {
      const [min, max] = key === 'mailThrottled' ? [0, Number.MAX_SAFE_INTEGER] : [1, 3600]
      if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw bad(`${key} must be a whole number ${min}..${max}`)
      patch[key] = value as number
    } else if (key === 'mailRejectTo') {
      if (!Array.isArray(value) || value.length > 100 || !value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 320)) {
        throw bad('mailRejectTo must be a list of up to 100 addresses')
      }
      patch.mailRejectTo = value as string[]
    } else if (key === 'pushBlocked' || key === 'withdrawForbidden') {
      if (typeof value !== 'boolean') throw bad(`${key} must be a boolean`)
      patch[key] = value
    } else {
      throw bad(`unknown fault ${JSON.stringify(key)}`)
    }
  }
  return patch
}

function deliveryView(delivery: Delivery) {
  return {
    ...delivery,
    createdAt: new Date(delivery.createdAt).toISOString(),
    nextAttemptAt: delivery.nextAttemptAt === undefined ? null : new Date(delivery.nextAttemptAt).toISOString(),
    attempts: delivery.attempts.map((attempt) => ({ ...attempt, at: new Date(attempt.at).toISOString() })),
  }
}

function emailView(email: StoredEmail) {
  return { ...email, html: email.html ?? null, text: email.text ?? null, idempotency_key: email.idempotency_key ?? null }
}

/** `filename="ascii"; filename*=UTF-8''…` so any name survives (RFC 6266). */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

export function createControlApi({ state, now, approvals, pusher, onChange, onReset }: ControlOptions) {
  function instanceJson(id: string) {
    const instance = approvals.find(id)
    if (!instance) throw new SandboxError('SANDBOX_NOT_FOUND', `no instance ${id}`)
    return controlView(instance, state.deliveries)
  }

  function callCounts() {
    const months: Record<string, { total: number; byApi: Record<string, number> }> = {}
    for (const [month, counts] of state.calls) {
      const byApi = Object.fromEntries(counts)
      months[month] = { total: [...counts.values()].reduce((sum, n) => sum + n, 0), byApi }
    }
    const current = quotaMonth(now())
    return { quota: MONTHLY_QUOTA, currentMonth: current, current: months[current] ?? { total: 0, byApi: {} }, months }
  }

  function attachment(res: ServerResponse, emailId: string, index: number): void {
    const email = state.emails.find((item) => item.id === emailId)
    const file = email?.attachments[index]
    if (!file || file.content === undefined) throw new SandboxError('SANDBOX_NOT_FOUND', 'no such attachment')
    const bytes = Buffer.from(file.content, 'base64')
    res.writeHead(200, {
      'content-type': file.content_type || 'application/octet-stream',
      'content-length': bytes.length,
      'content-disposition': contentDisposition(file.filename || `attachment-${index + 1}`),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    })
    res.end(bytes)
  }

  return async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice('/_sandbox'.length)
    const method = req.method ?? 'GET'
    const form = isFormPost(req)
    let match: RegExpExecArray | null

    if (method === 'GET' && path === '/health') return sendJson(res, 200, { ok: true })
    if (method === 'GET' && path === '/instances') {
      const list = [...state.instances.values()].reverse().map((instance) => controlView(instance, state.deliveries))
      return sendJson(res, 200, { data: list })
    }
    if (method === 'GET' && (match = /^\/instances\/([^/]+)$/.exec(path))) {
      return sendJson(res, 200, { data: instanceJson(decodeURIComponent(match[1])) })
    }
    if (method === 'POST' && (match = /^\/instances\/([^/]+)\/(approve|reject|terminate|push)$/.exec(path))) {
      const id = decodeURIComponent(match[1])
      const input = await readInput(req)
      const spelling = spellingOf(input)
      const remark = remarkOf(input)
      let delivery: Delivery | undefined
      if (match[2] === 'approve') approvals.decide(id, 'agree', { remark, spelling })
      else if (match[2] === 'reject') approvals.decide(id, 'refuse', { remark, spelling })
      else if (match[2] === 'terminate') approvals.terminate(id, { remark, spelling })
      else delivery = await approvals.redeliver(id, spelling)
      if (form) return redirect(res, `/console#instance-${encodeURIComponent(id)}`)
      return sendJson(res, 200, { data: instanceJson(id), ...(delivery ? { delivery: deliveryView(delivery) } : {}) })
    }
    if (method === 'GET' && path === '/pushes') return sendJson(res, 200, { data: state.deliveries.map(deliveryView) })
    if (method === 'POST' && path === '/check-url') {
      const input = await readInput(req)
      const target = input.url === undefined || input.url === '' ? undefined : input.url
      if (target !== undefined && (typeof target !== 'string' || !URL.canParse(target))) throw bad('url must be a URL')
      const delivery = await pusher.checkUrl(spellingOf(input) ?? 'signature', target as string | undefined)
      const ok = delivery.status === 'delivered'
      if (form) {
        const last = delivery.attempts.at(-1)
        const notice = ok ? 'Callback URL check passed.' : `Callback URL check failed: ${last?.outcome ?? delivery.status}${last?.detail ? ` — ${last.detail}` : ''}`
        return redirect(res, `/console?notice=${encodeURIComponent(notice)}`)
      }
      return sendJson(res, 200, { data: { ok, delivery: deliveryView(delivery) } })
    }
    if (method === 'POST' && path === '/tokens/expire') {
      state.token = undefined
      return sendJson(res, 200, { data: { expired: true } })
    }
    if (path === '/faults' && (method === 'GET' || method === 'POST')) {
      if (method === 'POST') Object.assign(state.faults, faultsPatch(await readInput(req)))
      return sendJson(res, 200, { data: { ...state.faults } })
    }
    if (method === 'GET' && path === '/calls') return sendJson(res, 200, { data: callCounts() })
    if (path === '/emails' && method === 'GET') return sendJson(res, 200, { data: [...state.emails].reverse().map(emailView) })
    if (path === '/emails' && method === 'DELETE') {
      const deleted = state.emails.length
      state.emails = []
      onChange?.()
      return sendJson(res, 200, { data: { deleted } })
    }
    if (method === 'GET' && (match = /^\/emails\/([^/]+)$/.exec(path))) {
      const email = state.emails.find((item) => item.id === decodeURIComponent(match![1]))
      if (!email) throw new SandboxError('SANDBOX_NOT_FOUND', 'no such email')
      return sendJson(res, 200, { data: emailView(email) })
    }
    if (method === 'GET' && (match = /^\/emails\/([^/]+)\/attachments\/(\d+)$/.exec(path))) {
      return attachment(res, decodeURIComponent(match[1]), Number(match[2]))
    }
    if (method === 'POST' && path === '/reset') {
      pusher.cancel()
      onReset?.()
      resetState(state)
      onChange?.()
      return sendJson(res, 200, { data: { reset: true } })
    }
    throw new SandboxError('SANDBOX_NOT_FOUND', `no control endpoint ${method} ${url.pathname}`)
  }
}
