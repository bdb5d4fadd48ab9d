// Alerts: dedupe and "resolved" (store.ts), the notices sent (notify.ts), the rules of each cron
// run (rules.ts), the applicant's "alerted" (routes/applications.ts), and docs/alerts.md.
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { alertOf, call, eventRequest, finishEvent, noticesOf, readJson, row, rows, runCron, submit, tokenOf, validApplication, BASE } from '../../test/helpers.ts'
import { loadConfig } from '../config.ts'
import { recordProxyHeartbeat } from '../db/proxies.ts'
import { createLogger } from '../log.ts'
import { createMailer } from '../mail/mailer.ts'
import { ALERT_CODES } from './catalog.ts'
import { robotSignature, sendAlertNotices } from './notify.ts'
import { evaluateAlertRules } from './rules.ts'
import { raiseAlert, raiseAlertStatements, resolveAlert, resolveAlertStatements } from './store.ts'

let fake: FakeUpstream
beforeEach(async () => {
  fake = new FakeUpstream()
  fake.install()
  // D1 is shared by the tests of a file: each starts without alerts, usage or heartbeats.
  await env.DB.batch(['alerts', 'alert_notices', 'api_usage', 'proxies'].map((table) => env.DB.prepare(`DELETE FROM ${table}`)))
})
afterEach(() => vi.restoreAllMocks())

const MINUTE = 60_000
const log = createLogger({ requestId: 'test' }, { level: 'error' })
const deps = async () => ({ db: env.DB, config: await loadConfig(env), log })
const alertMails = (code: string) => fake.emails.filter((e) => String(e.payload.subject).includes(` ${code}`))

describe('alerts: raised once, resolved once', () => {
  it('queues one notice for a new firing, none for repeats, one "resolved", and a new one when it fires again', async () => {
    const d = await deps()
    const now = Date.now()
    for (let i = 0; i < 3; i++) await raiseAlert(d, { code: 'SUBMIT_BACKLOG', now: now + i, details: { waiting: i } })
    expect(await alertOf('SUBMIT_BACKLOG')).toMatchObject({ state: 'firing', fires: 1, occurrences: 3 })
    expect((await noticesOf('SUBMIT_BACKLOG')).map((n) => n.kind)).toEqual(['firing'])
    expect(await resolveAlert(d, { code: 'SUBMIT_BACKLOG', now: now + 10 })).toBe(true)
    expect(await resolveAlert(d, { code: 'SUBMIT_BACKLOG', now: now + 11 })).toBe(false)
    expect((await noticesOf('SUBMIT_BACKLOG')).map((n) => n.kind)).toEqual(['firing', 'resolved'])
    await raiseAlert(d, { code: 'SUBMIT_BACKLOG', now: now + 20 })
    expect(await alertOf('SUBMIT_BACKLOG')).toMatchObject({ state: 'firing', fires: 2, occurrences: 1 })
    expect((await noticesOf('SUBMIT_BACKLOG')).map((n) => n.kind)).toEqual(['firing', 'resolved', 'firing'])
  })

  it('writes no row when a resolved (or never raised) alert is resolved again, as every cron run does', async () => {
    const d = await deps()
    await raiseAlert(d, { code: 'SUBMIT_BACKLOG', now: 1 })
    await resolveAlert(d, { code: 'SUBMIT_BACKLOG', now: 2 })
    for (const code of ['SUBMIT_BACKLOG', 'KEY_MISMATCH'] as const) {
      const results = await env.DB.batch(resolveAlertStatements(d, { code, now: 3 }))
      expect(results.map((r) => r.meta.rows_written ?? r.meta.changes), code).toEqual(results.map(() => 0))
    }
  })

  it('raises with a transition only when its event was written (whenEvent)', async () => {
    const d = await deps()
    await env.DB.batch(raiseAlertStatements(d, { code: 'APPLICATION_FAILED', subject: 'LD-NOEVENT', now: Date.now(), whenEvent: 'evt-missing' }))
    expect(await alertOf('APPLICATION_FAILED', 'LD-NOEVENT')).toBeNull()
    expect(await noticesOf('APPLICATION_FAILED', 'LD-NOEVENT')).toEqual([])
  })

  it('keeps the alert but queues no notice when no channel is configured', async () => {
    const config = { ...(await loadConfig(env)), alerts: { ...(await loadConfig(env)).alerts, email: [], dingtalkRobot: null } }
    await raiseAlert({ db: env.DB, config, log }, { code: 'KEY_MISMATCH', now: Date.now() })
    expect(await alertOf('KEY_MISMATCH')).toMatchObject({ state: 'firing' })
    expect(await noticesOf('KEY_MISMATCH')).toEqual([])
  })
})

describe('alert notices', () => {
  it('mails each notice once to ALERT_EMAIL with Idempotency-Key alert/<id>, retries a failed send, and never sends it twice', async () => {
    const d = await deps()
    const now = Date.now()
    await raiseAlert(d, { code: 'DINGTALK_API_BUDGET_80', now, details: { used: 3600, budget: 4500, note: '<b>not markup</b>' } })
    const mailer = createMailer({ apiKey: d.config.resendApiKey, baseUrl: d.config.resendBaseUrl, from: d.config.mailFrom })
    fake.mailFailures = 1
    expect(await sendAlertNotices({ ...d, mailer, now })).toMatchObject({ sent: 0, retrying: 1 })
    const [pending] = await noticesOf('DINGTALK_API_BUDGET_80')
    expect(pending).toMatchObject({ status: 'pending' })
    expect(await sendAlertNotices({ ...d, mailer, now: now + 1000 })).toMatchObject({ sent: 0 })
    expect(await sendAlertNotices({ ...d, mailer, now: now + 31_000 })).toMatchObject({ sent: 1 })
    expect(await sendAlertNotices({ ...d, mailer, now: now + 5 * MINUTE })).toMatchObject({ sent: 0 })
    const mails = alertMails('DINGTALK_API_BUDGET_80')
    expect(mails).toHaveLength(1)
    expect(mails[0].payload.to).toEqual(['ops@licensedesk.local'])
    expect(mails[0].idempotencyKey).toBe(`alert/${pending.id}`)
    expect(String(mails[0].payload.subject)).toBe('[licensedesk] ALERT DINGTALK_API_BUDGET_80: DingTalk API calls this month are at 80 % of the budget')
    expect(String(mails[0].payload.html)).toContain('&lt;b&gt;not markup&lt;/b&gt;')
    expect(String(mails[0].payload.html)).not.toContain('<b>not markup')
    expect(String(mails[0].payload.text)).toContain('本月钉钉 API 调用已达预算的 80%')
    expect((await noticesOf('DINGTALK_API_BUDGET_80'))[0]).toMatchObject({ status: 'sent' })
  })

  it('posts to the DingTalk group robot, signed as DingTalk documents (timestamp + "\\n" + secret, HMAC-SHA256, base64)', async () => {
    const base = await loadConfig(env)
    const config = { ...base, alerts: { ...base.alerts, email: [], dingtalkRobot: { url: 'https://oapi.dingtalk.com/robot/send?access_token=tok', secret: 'SECtest' } } }
    const seen: URL[] = []
    const robotFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input))
      seen.push(url)
      const body = JSON.parse(String(init?.body))
      expect(body).toMatchObject({ msgtype: 'markdown', markdown: { title: '告警 PROXY_NONE_READY' } })
      return new Response(JSON.stringify({ errcode: 0, errmsg: 'ok' }), { headers: { 'content-type': 'application/json' } })
    }) as typeof fetch
    const now = Date.now()
    await raiseAlert({ db: env.DB, config, log }, { code: 'PROXY_NONE_READY', now })
    const mailer = createMailer({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl, from: config.mailFrom })
    expect(await sendAlertNotices({ db: env.DB, config, mailer, log, now, fetch: robotFetch })).toMatchObject({ sent: 1 })
    expect(seen).toHaveLength(1)
    const timestamp = Number(seen[0].searchParams.get('timestamp'))
    expect(seen[0].searchParams.get('access_token')).toBe('tok')
    expect(seen[0].searchParams.get('sign')).toBe(await robotSignature('SECtest', timestamp))
    // The documented example: HMAC-SHA256("SECtest", "1700000000000\nSECtest"), base64.
    expect(await robotSignature('SECtest', 1700000000000)).toBe(await hmacBase64('SECtest', '1700000000000\nSECtest'))
  })

  it('retries the robot when it answers an errcode (e.g. over 20 a minute)', async () => {
    const base = await loadConfig(env)
    const config = { ...base, alerts: { ...base.alerts, email: [], dingtalkRobot: { url: 'https://oapi.dingtalk.com/robot/send?access_token=tok', secret: null } } }
    const robotFetch = (async () => new Response(JSON.stringify({ errcode: 410100, errmsg: 'send too fast' }), { headers: { 'content-type': 'application/json' } })) as typeof fetch
    await raiseAlert({ db: env.DB, config, log }, { code: 'KEY_MISMATCH', now: Date.now() })
    const mailer = createMailer({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl, from: config.mailFrom })
    expect(await sendAlertNotices({ db: env.DB, config, mailer, log, now: Date.now(), fetch: robotFetch })).toMatchObject({ retrying: 1 })
    expect((await row<{ status: string; last_error: string }>(`SELECT status, last_error FROM alert_notices WHERE code = 'KEY_MISMATCH'`))).toMatchObject({
      status: 'pending',
      last_error: expect.stringContaining('410100'),
    })
  })
})

async function hmacBase64(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message)))
  return btoa(String.fromCharCode(...mac))
}

describe('alert rules (each cron run)', () => {
  it('PROXY_NONE_READY: fires without a ready heartbeat in the threshold, resolves on the next ready heartbeat', async () => {
    const d = await deps()
    const now = Date.now()
    await recordProxyHeartbeat(env.DB, { proxyId: 'p1', egressAddress: null, events: 'stream', ready: true }, now - 3 * MINUTE)
    expect(await evaluateAlertRules({ ...d, now })).toMatchObject({ PROXY_NONE_READY: true })
    expect(JSON.parse((await alertOf('PROXY_NONE_READY'))!.details).proxies).toContain('p1: ready at')
    await recordProxyHeartbeat(env.DB, { proxyId: 'p1', egressAddress: null, events: 'stream', ready: false }, now + MINUTE)
    expect(await evaluateAlertRules({ ...d, now: now + MINUTE })).toMatchObject({ PROXY_NONE_READY: true })
    await recordProxyHeartbeat(env.DB, { proxyId: 'p1', egressAddress: null, events: 'stream', ready: true }, now + 2 * MINUTE)
    expect(await evaluateAlertRules({ ...d, now: now + 2 * MINUTE })).toMatchObject({ PROXY_NONE_READY: false })
    expect(await alertOf('PROXY_NONE_READY')).toMatchObject({ state: 'resolved', fires: 1 })
    expect((await noticesOf('PROXY_NONE_READY')).map((n) => n.kind)).toEqual(['firing', 'resolved'])
  })

  it('SUBMIT_BACKLOG: fires for an application waiting over 5 minutes, not for one a submission cap holds, and resolves once it is submitted', async () => {
    fake.dingtalk = 'proxy-down'
    const created = await readJson(await submit(validApplication()))
    const app = (await row<{ created_at: number }>('SELECT created_at FROM applications WHERE id = ?1', created.id))!
    const d = await deps()
    expect(await evaluateAlertRules({ ...d, now: app.created_at + 4 * MINUTE })).toMatchObject({ SUBMIT_BACKLOG: false })
    expect(await evaluateAlertRules({ ...d, now: app.created_at + 6 * MINUTE })).toMatchObject({ SUBMIT_BACKLOG: true })
    expect(JSON.parse((await alertOf('SUBMIT_BACKLOG'))!.details)).toMatchObject({ waiting: 1, oldestApplication: created.id })
    await env.DB.prepare(`UPDATE applications SET last_error = 'SUBMIT_CAP_DAILY: held' WHERE id = ?1`).bind(created.id).run()
    expect(await evaluateAlertRules({ ...d, now: app.created_at + 7 * MINUTE })).toMatchObject({ SUBMIT_BACKLOG: false })
    await env.DB.prepare(`UPDATE applications SET last_error = NULL WHERE id = ?1`).bind(created.id).run()
    fake.dingtalk = 'up'
    await runCron(app.created_at + 8 * MINUTE)
    expect((await row<{ status: string }>('SELECT status FROM applications WHERE id = ?1', created.id))?.status).toBe('pending_approval')
    expect(await alertOf('SUBMIT_BACKLOG')).toMatchObject({ state: 'resolved' })
  })

  it('DingTalk budgets: the API and push alerts at 80 % and 100 % of the month, resolved when the month turns', async () => {
    const d = await deps()
    const now = Date.UTC(2026, 11, 30, 12)
    await env.DB.prepare(`INSERT INTO api_usage (month, calls, pushes) VALUES ('2026-12', 3600, 3000)`).run()
    const summary = await evaluateAlertRules({ ...d, now })
    expect(summary).toMatchObject({ DINGTALK_API_BUDGET_80: true, DINGTALK_API_BUDGET_100: false, DINGTALK_PUSH_BUDGET_80: true, DINGTALK_PUSH_BUDGET_100: true })
    await evaluateAlertRules({ ...d, now: now + MINUTE })
    expect(await noticesOf('DINGTALK_PUSH_BUDGET_100')).toHaveLength(1)
    expect(await evaluateAlertRules({ ...d, now: Date.UTC(2027, 0, 1, 0, 1) })).toMatchObject({ DINGTALK_API_BUDGET_80: false, DINGTALK_PUSH_BUDGET_100: false })
    expect((await noticesOf('DINGTALK_PUSH_BUDGET_100')).map((n) => n.kind)).toEqual(['firing', 'resolved'])
  })

  it('counts every signed push against the month (HTTP or Stream)', async () => {
    const created = await readJson(await submit(validApplication()))
    const app = (await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id))!
    const month = new Date().toISOString().slice(0, 7)
    const before = (await row<{ pushes: number }>('SELECT pushes FROM api_usage WHERE month = ?1', month))?.pushes ?? 0
    await call(await eventRequest(finishEvent(app.dingtalk_instance_id, 'agree')))
    await call(await eventRequest(finishEvent(app.dingtalk_instance_id, 'agree')))
    // Unsigned: not our proxy, not a push.
    await call(new Request(`${BASE}/internal/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
    expect((await row<{ pushes: number }>('SELECT pushes FROM api_usage WHERE month = ?1', month))?.pushes).toBe(before + 2)
  })

  it('KEY_MISMATCH: fires when a proxy reports the keys unpaired or ignores the worker\'s proof, resolves when it accepts it', async () => {
    const d = await deps()
    const probe = async () => (await import('../dingtalk/readiness.ts')).probeProxies({ egressUrls: d.config.egressUrls, signingKey: d.config.workerSigningKey })
    const now = Date.now()
    fake.readyzWorkerCheck = 'WORKER_KEY_MISMATCH'
    expect(await evaluateAlertRules({ ...d, now, probe })).toMatchObject({ KEY_MISMATCH: true })
    fake.readyzWorkerCheck = 'ok'
    expect(await evaluateAlertRules({ ...d, now: now + MINUTE, probe })).toMatchObject({ KEY_MISMATCH: false })
    // A proxy whose WORKER_PUBLIC_JWK lacks the worker's key answers the signed probe as a stranger.
    const { generateEd25519Jwk, importSigningKey } = await import('../../../proof/src/index.ts')
    const stranger = await importSigningKey((await generateEd25519Jwk()).privateJwk as never)
    const strangerProbe = async () => (await import('../dingtalk/readiness.ts')).probeProxies({ egressUrls: d.config.egressUrls, signingKey: stranger })
    expect(await evaluateAlertRules({ ...d, now: now + 2 * MINUTE, probe: strangerProbe })).toMatchObject({ KEY_MISMATCH: true })
    expect((await noticesOf('KEY_MISMATCH')).map((n) => n.kind)).toEqual(['firing', 'resolved', 'firing'])
    // No proxy answering says nothing about keys: the alert stays as it was.
    fake.dingtalk = 'proxy-down'
    expect(await evaluateAlertRules({ ...d, now: now + 3 * MINUTE, probe })).toMatchObject({ KEY_MISMATCH: 'unknown' })
    expect(await alertOf('KEY_MISMATCH')).toMatchObject({ state: 'firing' })
  })

  it('the cron run probes every proxy signed, and its rules run without one', async () => {
    await runCron(Date.now())
    expect(fake.signedReadyzCalls.length).toBeGreaterThan(0)
    expect(await alertOf('KEY_MISMATCH')).toBeNull()
  })
})

describe('EVENT_NOT_RECORDED', () => {
  it('fires when a signed event cannot be recorded (503) and resolves when the retried push is', async () => {
    fake.dingtalk = 'proxy-down'
    const response = await call(await eventRequest(finishEvent('inst-unknown-1', 'agree')))
    expect(response.status).toBe(503)
    expect(await alertOf('EVENT_NOT_RECORDED', 'inst-unknown-1')).toMatchObject({ state: 'firing' })
    fake.dingtalk = 'up'
    // DingTalk pushes again; the instance is none of ours (the fake knows it not): answered, so resolved.
    expect((await call(await eventRequest(finishEvent('inst-unknown-1', 'agree')))).status).toBe(200)
    expect(await alertOf('EVENT_NOT_RECORDED', 'inst-unknown-1')).toMatchObject({ state: 'resolved' })
  })

  it('is not raised by an unsigned request (a stranger cannot page anyone)', async () => {
    const response = await call(new Request(`${BASE}/internal/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(finishEvent('inst-x', 'agree')) }))
    expect(response.status).toBe(401)
    expect(await rows(`SELECT * FROM alerts WHERE code = 'EVENT_NOT_RECORDED'`)).toEqual([])
  })
})

describe('the applicant hears "alerted" only when it was sent', () => {
  it('status of a failed application: alerted false while the notice waits, true once it was mailed', async () => {
    fake.mailErrors.push({ statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' })
    const created = await readJson(await submit(validApplication()))
    const app = (await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id))!
    await call(await eventRequest(finishEvent(app.dingtalk_instance_id, 'agree')))
    const status = async () => readJson(await call(new Request(`${BASE}/api/applications/${created.id}?t=${tokenOf(created.statusUrl)}`)))
    expect(await status()).toMatchObject({ status: 'failed', alerted: false })
    await runCron(Date.now())
    expect(alertMails('APPLICATION_FAILED')).toHaveLength(1)
    expect(await status()).toMatchObject({ status: 'failed', alerted: true })
  })

  it('no "alerted" field for an application that did not fail', async () => {
    const created = await readJson(await submit(validApplication()))
    const view = await readJson(await call(new Request(`${BASE}/api/applications/${created.id}?t=${tokenOf(created.statusUrl)}`)))
    expect(view.status).toBe('pending_approval')
    expect('alerted' in view).toBe(false)
  })
})

describe('docs/alerts.md', () => {
  it('explains every alert code, and no other', () => {
    const documented = [...env.ALERTS_MD.matchAll(/^### `([A-Z0-9_]+)`/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual([...ALERT_CODES].sort())
  })
})
