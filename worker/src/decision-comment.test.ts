import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../test/fake-upstream.ts'
import { BASE, call, eventRequest, finishEvent, readJson, row, rows, runCron, submit, tokenOf, validApplication } from '../test/helpers.ts'
import { refusalRemarkOf } from './dingtalk/client.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const MINUTE = 60_000
const shown = { ...env, SHOW_APPROVER_COMMENT: 'true', POLL_BATCH: '100' }
const hidden = { ...env, POLL_BATCH: '100' }
const REMARK = '数量超出合同范围 <b>请</b> & "核实"'

async function pending(overrides: Record<string, unknown> = {}, bindings: Cloudflare.Env = env) {
  const body = validApplication(overrides)
  const created = await readJson(await call(await submitRequest(body), bindings))
  const app = await row<{ dingtalk_instance_id: string; created_at: number }>('SELECT * FROM applications WHERE id = ?1', created.id)
  return { ...created, body, instanceId: app!.dingtalk_instance_id, createdAt: app!.created_at, token: tokenOf(created.statusUrl) }
}

// submit() posts with the default env; the same request under other bindings.
async function submitRequest(body: Record<string, unknown>): Promise<Request> {
  return new Request(`${BASE}/api/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

const statusView = async (app: { id: string; token: string }, bindings: Cloudflare.Env) =>
  readJson(await call(new Request(`${BASE}/api/applications/${app.id}?t=${app.token}`), bindings))
const mailTo = (address: string) => fake.emails.filter((e) => e.payload.to === address)

describe('the approver’s comment on a refusal', () => {
  it('reads the remark after a pushed refusal and shows it in the mail and the status view when allowed', async () => {
    const app = await pending({ locale: 'zh-CN' }, shown)
    fake.finish(app.instanceId, 'COMPLETED', 'refuse', REMARK)
    expect(await readJson(await call(await eventRequest(finishEvent(app.instanceId, 'refuse')), shown))).toEqual({ recorded: true })
    const [mail] = mailTo(app.body.email as string)
    expect(mail.payload.text).toContain(`审批意见：\n${REMARK}`)
    expect(mail.payload.html).toContain('数量超出合同范围 &lt;b&gt;请&lt;/b&gt; &amp; &quot;核实&quot;')
    expect(mail.payload.html).not.toContain('<b>请')
    const view = await statusView(app, shown)
    expect(view).toMatchObject({ status: 'rejected', decisionComment: REMARK, timeZone: 'Asia/Shanghai' })
    expect(await rows(`SELECT type FROM events WHERE application_id = ?1 AND type = 'dingtalk.remark'`, app.id)).toHaveLength(1)
  })

  it('neither reads nor shows the remark when SHOW_APPROVER_COMMENT is off (the default)', async () => {
    const app = await pending({}, hidden)
    fake.finish(app.instanceId, 'COMPLETED', 'refuse', REMARK)
    await call(await eventRequest(finishEvent(app.instanceId, 'refuse')), hidden)
    const [mail] = mailTo(app.body.email as string)
    expect(mail.payload.text).not.toContain(REMARK)
    expect(mail.payload.text).not.toContain('comment')
    const view = await statusView(app, hidden)
    expect(view.status).toBe('rejected')
    expect(view).not.toHaveProperty('decisionComment')
    // No DingTalk call spent on it.
    expect(fake.relayCalls.filter((c) => c.method === 'GET' && c.target.includes(app.instanceId))).toHaveLength(0)
  })

  it('keeps a polled refusal’s remark on the rejected transition and shows it only when allowed', async () => {
    const app = await pending({}, shown)
    fake.finish(app.instanceId, 'COMPLETED', 'refuse', 'Not under contract.')
    await runCron(app.createdAt + 11 * MINUTE, shown)
    const rejected = await row<{ data: string }>(`SELECT data FROM events WHERE application_id = ?1 AND to_status = 'rejected'`, app.id)
    expect(JSON.parse(rejected!.data)).toMatchObject({ comment: 'Not under contract.' })
    const [mail] = mailTo(app.body.email as string)
    expect(mail.payload.text).toContain('The approver’s comment:\nNot under contract.')
    expect(await statusView(app, shown)).toMatchObject({ decisionComment: 'Not under contract.' })
    expect(await statusView(app, hidden)).not.toHaveProperty('decisionComment')
  })

  it('sends the rejection without a comment when the instance detail cannot be read', async () => {
    const app = await pending({}, shown)
    fake.finish(app.instanceId, 'COMPLETED', 'refuse', REMARK)
    fake.instances.delete(app.instanceId)
    expect(await readJson(await call(await eventRequest(finishEvent(app.instanceId, 'refuse')), shown))).toEqual({ recorded: true })
    const [mail] = mailTo(app.body.email as string)
    expect(mail.payload.subject).toContain('declined')
    expect(mail.payload.text).not.toContain(REMARK)
  })
})

describe('refusalRemarkOf', () => {
  it('takes the last refusing approver’s remark and ignores agreements, comments and blanks', () => {
    expect(refusalRemarkOf([
      { type: 'START_PROCESS_INSTANCE', result: 'NONE', remark: 'please' },
      { type: 'EXECUTE_TASK_NORMAL', result: 'AGREE', remark: 'ok by me' },
      { type: 'ADD_REMARK', result: 'NONE', remark: 'a note' },
      { type: 'EXECUTE_TASK_NORMAL', result: 'REFUSE', remark: '  超出范围  ' },
    ])).toBe('超出范围')
    expect(refusalRemarkOf([{ type: 'EXECUTE_TASK_NORMAL', result: 'REFUSE', remark: '' }])).toBeNull()
    expect(refusalRemarkOf([{ type: 'EXECUTE_TASK_NORMAL', result: 'AGREE', remark: 'fine' }])).toBeNull()
    expect(refusalRemarkOf(undefined)).toBeNull()
    expect(refusalRemarkOf([{ type: 'EXECUTE_TASK_NORMAL', result: 'REFUSE', remark: 'x'.repeat(2000) }])).toHaveLength(1000)
  })
})

describe('the applicant’s time zone', () => {
  it('stores the zone the page sends and prints the mail’s times in it, named', async () => {
    const app = await pending({ timeZone: 'America/New_York' })
    expect(await row('SELECT time_zone FROM applications WHERE id = ?1', app.id)).toEqual({ time_zone: 'America/New_York' })
    fake.finish(app.instanceId, 'COMPLETED', 'agree')
    await call(await eventRequest(finishEvent(app.instanceId, 'agree')))
    const [mail] = mailTo(app.body.email as string)
    expect(mail.payload.text).toMatch(/Valid from: \w{3} \d{1,2}, \d{4}, \d\d:\d\d \(Eastern (Standard|Daylight) Time\)/)
    expect(mail.payload.text).not.toContain('UTC')
    expect(mail.payload.reply_to).toEqual(env.MAIL_REPLY_TO)
    expect(await statusView(app, env)).toMatchObject({ timeZone: 'America/New_York' })
  })

  it('prints Beijing time for a zh-CN applicant who sent no zone', async () => {
    const app = await pending({ locale: 'zh-CN' })
    await call(await eventRequest(finishEvent(app.instanceId, 'agree')))
    const [mail] = mailTo(app.body.email as string)
    expect(mail.payload.text).toMatch(/生效时间：\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d（中国标准时间）/)
  })

  it.each(['Mars/Olympus', '+08:00', 42, 'x'.repeat(80)])('refuses timeZone %j with 400 VALIDATION_FAILED NOT_ALLOWED', async (timeZone) => {
    const response = await submit(validApplication({ timeZone }))
    expect(response.status).toBe(400)
    expect((await readJson(response)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { timeZone: 'NOT_ALLOWED' } })
  })
})
