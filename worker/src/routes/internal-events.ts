// POST /internal/events: approval events forwarded by the egress proxy (docs/architecture.md,
// "Proxy → worker: events"). The proof is checked over the exact body bytes; the event is recorded
// durably before the 200, and the license or rejection mail is sent after the response. An event
// for an unknown instance is resolved (resolve-instance.ts) or refused with 503, never dropped.
import { Hono, type Context } from 'hono'
import { raiseAlert, resolveIfFiring } from '../alerts/store.ts'
import { countPush } from '../db/api-usage.ts'
import { applyInstanceEvent } from '../approval.ts'
import { bodySignedByProxy } from '../proxy-proof.ts'
import { decodeUtf8, limitBody, parseJsonObject } from '../body.ts'
import { getApplicationByInstance } from '../db/applications.ts'
import { dingtalkFor } from '../dingtalk/egress.ts'
import { resolveUnknownInstance } from '../resolve-instance.ts'
import { suspectMissedPush } from '../db/worker-state.ts'
import { decisionOf, parseInstanceEvent } from '../dingtalk/events.ts'
import { fetchApproverRemark } from '../decision-comment.ts'
import type { AppEnv } from '../env.ts'
import { AppError, InvalidEventError } from '../errors.ts'
import { errorFields } from '../log.ts'
import { createMailer } from '../mail/mailer.ts'
import { processOutbox } from '../outbox.ts'

export const internalEvents = new Hono<AppEnv>()
  // Any refusal makes DingTalk retry and, after two, list the push as failed: have the reconciler look.
  .use(async (c, next) => {
    await next()
    if (c.res.status >= 300) await suspectMissedPush(c.env.DB, Date.now()).catch((err) => c.var.log.error('flag failed', errorFields(err)))
  })
  .post('/', limitBody(), async (c) => {
  const { config, log } = c.var
  const body = await bodySignedByProxy(c)
  // Signed by our proxy: a push DingTalk made (HTTP or Stream), counted against its monthly quota.
  const alerts = { db: c.env.DB, config, log }
  await countPush(c.env.DB, Date.now()).catch((err) => log.error('push count failed', errorFields(err)))
  let instanceId: string | null = null
  try {
    const answer = await recordEvent(c, body, (id) => (instanceId = id))
    // Recorded (or known, or not ours) at last: an earlier failure for this instance is over.
    if (instanceId) await resolveIfFiring(alerts, { code: 'EVENT_NOT_RECORDED', subject: instanceId, now: Date.now() })
    return answer
  } catch (err) {
    // A 5xx makes DingTalk push again, a 4xx does not: either way a person hears of it once.
    const status = err instanceof AppError ? err.status : 500
    await raiseAlert(alerts, {
      code: 'EVENT_NOT_RECORDED',
      subject: instanceId ?? 'unparsed',
      now: Date.now(),
      details: { instance: instanceId, status, code: err instanceof AppError ? err.code : 'INTERNAL', retried: status >= 500 },
    }).catch((alertErr) => log.error('alert failed', errorFields(alertErr)))
    throw err
  }
})

async function recordEvent(c: Context<AppEnv>, body: Uint8Array, seen: (instanceId: string) => void): Promise<Response> {
  const { config, log } = c.var

  const text = decodeUtf8(body)
  let json: Record<string, unknown>
  try {
    json = parseJsonObject(text)
  } catch {
    throw new InvalidEventError('the event is not a JSON object')
  }
  const parsed = parseInstanceEvent(json)
  if (parsed.ok === 'other') return c.json({ ignored: true })
  if (!parsed.ok) throw new InvalidEventError(parsed.reason)
  const { event } = parsed
  seen(event.instanceId)

  const now = Date.now()
  let app = await getApplicationByInstance(c.env.DB, event.instanceId)
  if (!app) {
    const processCode = typeof json.processCode === 'string' ? json.processCode : null
    if (processCode !== null && processCode !== config.dingtalk.processCode) {
      log.info('event of another process ignored', { instanceId: event.instanceId, type: event.type })
      return c.json({ ignored: true })
    }
    const dingtalk = dingtalkFor(c.env, config, c.var.requestId)
    const resolved = await resolveUnknownInstance({ db: c.env.DB, config, dingtalk, log, now, source: 'dingtalk' }, event.instanceId)
    if (resolved.kind === 'not_ours') {
      log.info('event for an instance that is not ours ignored', { instanceId: event.instanceId, type: event.type, reason: resolved.reason })
      return c.json({ ignored: true })
    }
    if (resolved.kind === 'duplicate_instance') return c.json({ ignored: true, duplicateInstance: true })
    app = resolved.app
  }
  const { outcome, transitioned } = await applyInstanceEvent({ db: c.env.DB, now, source: 'dingtalk' }, app, event)
  log.info('DingTalk event', { applicationId: app.id, instanceId: event.instanceId, type: event.type, result: event.result, outcome })
  if (outcome === 'duplicate') return c.json({ duplicate: true })

  if (transitioned) {
    const mailer = createMailer({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl, from: config.mailFrom })
    const decided = app
    // A refusal's remark is only in the instance detail: read before the rejection mail is composed.
    const remark = config.showApproverComment && decisionOf(event) === 'rejected'
      ? fetchApproverRemark({ db: c.env.DB, dingtalk: dingtalkFor(c.env, config, c.var.requestId), log, now }, decided, event.instanceId)
      : Promise.resolve(null)
    c.executionCtx.waitUntil(
      remark
        .then(() => processOutbox({ db: c.env.DB, config, mailer, log, now }, { applicationId: decided.id }))
        .catch((err) => log.error('outbox after event failed; cron will retry', errorFields(err))),
    )
  }
  return c.json({ recorded: true })
}
