// Sends due alert notices (the alert outbox, worker/migrations/0011): by mail to ALERT_EMAIL
// through Resend with Idempotency-Key `alert/<id>`, and to the DingTalk group robot when one is
// configured. Each notice is claimed with a lease, so two runs never send it twice; a failure is
// retried every run for an hour, then every 10 minutes, and given up (logged) at a day old.
import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import { errorFields } from '../log.ts'
import type { Mailer } from '../mail/mailer.ts'
import { LEASE_MS, NEXT_RUN_MS } from '../backoff.ts'
import { ALERTS, type AlertCode } from './catalog.ts'
import { renderAlertMail, renderAlertMarkdown, type AlertNotice } from './message.ts'

export type NotifyDeps = {
  db: D1Database
  config: Config
  mailer: Mailer
  log: Logger
  now: number
  fetch?: typeof fetch
}
export type NotifySummary = { sent: number; retrying: number; failed: number }

const HOUR = 3_600_000
export const NOTICE_GIVE_UP_AFTER_MS = 24 * HOUR
const LATER_MS = 10 * 60_000
/** Per run: the robot takes 20 messages a minute; mail is paced by the outbox's limits anyway. */
const PER_RUN = 15

type NoticeRow = {
  id: string
  code: string
  subject: string
  kind: 'firing' | 'resolved'
  channel: 'email' | 'dingtalk'
  details: string
  attempts: number
  created_at: number
}

type Attempt = { ok: true } | { ok: false; error: string }

export async function sendAlertNotices(deps: NotifyDeps): Promise<NotifySummary> {
  const { db, now, log } = deps
  const summary: NotifySummary = { sent: 0, retrying: 0, failed: 0 }
  const { results } = await db
    .prepare(`SELECT * FROM alert_notices WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY created_at LIMIT ?2`)
    .bind(now, PER_RUN)
    .all<NoticeRow>()
  for (const row of results) {
    const claimed = await db
      .prepare(`UPDATE alert_notices SET next_attempt_at = ?3, updated_at = ?2 WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2`)
      .bind(row.id, now, now + LEASE_MS)
      .run()
    if ((claimed.meta.changes ?? 0) === 0) continue
    if (!(row.code in ALERTS)) {
      await finish(db, row, now, { ok: false, error: `unknown alert code ${row.code}` }, true)
      summary.failed++
      continue
    }
    const notice: AlertNotice = {
      id: row.id,
      code: row.code as AlertCode,
      subject: row.subject,
      kind: row.kind,
      details: JSON.parse(row.details) as Record<string, unknown>,
      createdAt: row.created_at,
    }
    let result: Attempt
    try {
      result = row.channel === 'email' ? await sendMail(deps, notice) : await sendRobot(deps, notice)
    } catch (err) {
      result = { ok: false, error: err instanceof Error ? err.message : String(err) }
      log.warn('alert notice attempt crashed', { noticeId: row.id, ...errorFields(err) })
    }
    const fields = { noticeId: row.id, alert: row.code, kind: row.kind, channel: row.channel }
    if (result.ok) {
      await finish(db, row, now, result, false)
      log.info('alert notice sent', fields)
      summary.sent++
      continue
    }
    const final = now - row.created_at >= NOTICE_GIVE_UP_AFTER_MS
    await finish(db, row, now, result, final)
    if (final) {
      log.error('alert notice given up: nobody was told', { ...fields, error: result.error })
      summary.failed++
    } else {
      log.warn('alert notice not sent; will retry', { ...fields, error: result.error })
      summary.retrying++
    }
  }
  return summary
}

async function finish(db: D1Database, row: NoticeRow, now: number, result: Attempt, final: boolean): Promise<void> {
  const attempts = row.attempts + 1
  if (result.ok) {
    await db
      .prepare(`UPDATE alert_notices SET status = 'sent', attempts = ?2, sent_at = ?3, next_attempt_at = NULL, last_error = NULL, updated_at = ?3 WHERE id = ?1`)
      .bind(row.id, attempts, now)
      .run()
    return
  }
  const next = final ? null : now + (now - row.created_at < HOUR ? NEXT_RUN_MS : LATER_MS)
  await db
    .prepare(`UPDATE alert_notices SET status = ?2, attempts = ?3, next_attempt_at = ?4, last_error = ?5, updated_at = ?6 WHERE id = ?1`)
    .bind(row.id, final ? 'failed' : 'pending', attempts, next, result.error.slice(0, 500), now)
    .run()
}

async function sendMail(deps: NotifyDeps, notice: AlertNotice): Promise<Attempt> {
  const { config } = deps
  if (config.alerts.email.length === 0) return { ok: false, error: 'ALERT_EMAIL is not set' }
  const mail = renderAlertMail(notice, config.publicOrigin)
  const result = await deps.mailer.send({ to: config.alerts.email, ...mail }, `alert/${notice.id}`)
  return result.ok ? { ok: true } : { ok: false, error: result.error }
}

/** DingTalk's custom robot "加签": sign = base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)). */
export async function robotSignature(secret: string, timestamp: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${timestamp}\n${secret}`)))
  let binary = ''
  for (const byte of mac) binary += String.fromCharCode(byte)
  return btoa(binary)
}

async function sendRobot(deps: NotifyDeps, notice: AlertNotice): Promise<Attempt> {
  const robot = deps.config.alerts.dingtalkRobot
  if (!robot) return { ok: false, error: 'ALERT_DINGTALK_ROBOT_URL is not set' }
  const target = new URL(robot.url)
  if (robot.secret) {
    const timestamp = Date.now()
    target.searchParams.set('timestamp', String(timestamp))
    target.searchParams.set('sign', await robotSignature(robot.secret, timestamp))
  }
  const doFetch = deps.fetch ?? fetch
  const response = await doFetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ msgtype: 'markdown', markdown: renderAlertMarkdown(notice) }),
    signal: AbortSignal.timeout(10_000),
  })
  const answer = (await response.json().catch(() => null)) as { errcode?: unknown; errmsg?: unknown } | null
  if (response.ok && answer?.errcode === 0) return { ok: true }
  // The robot's answer names the problem (310000: security setting not met, 300001: bad token,
  // 410100: over 20 a minute); none carries the token or the secret.
  return { ok: false, error: `robot answered HTTP ${response.status}, errcode ${String(answer?.errcode ?? '?')}: ${String(answer?.errmsg ?? '')}`.slice(0, 300) }
}
