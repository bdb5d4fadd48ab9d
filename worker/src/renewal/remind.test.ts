import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { call, eventRequest, finishEvent, readJson, row, rows, runCron, submit, validApplication } from '../../test/helpers.ts'
import { seedApplication } from '../../test/admin-seed.ts'
import { insertReminderStatements } from '../db/renewals.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const DAY = 86_400
type Issued = { applicationId: string; licenseId: string; email: string; nbf: number; exp: number }

/** Submits and approves an application: its license is issued and mailed. */
async function issued(overrides: Record<string, unknown> = {}): Promise<Issued> {
  const body = validApplication(overrides)
  const created = await readJson(await submit(body))
  const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id)
  const answer = await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, 'agree')))
  expect(answer.status).toBe(200)
  const license = await row<{ id: string; nbf: number; exp: number }>('SELECT id, nbf, exp FROM licenses WHERE application_id = ?1', created.id)
  return { applicationId: created.id, licenseId: license!.id, email: body.email as string, nbf: license!.nbf, exp: license!.exp }
}

const remindersTo = (email: string) =>
  fake.emails.filter((e) => e.payload.to === email && (e.payload as { tags?: { value: string }[] }).tags?.some((t) => t.value === 'renewal_reminder'))
const reminderRows = (licenseId: string) =>
  rows<{ threshold_days: number }>('SELECT threshold_days FROM renewal_reminders WHERE license_id = ?1 ORDER BY threshold_days DESC', licenseId)
/** Cron at `days` before the license's exp. */
const cronBefore = (license: Issued, days: number, bindings = env) => runCron((license.exp - days * DAY) * 1000, bindings)

describe('renewal reminders', () => {
  it('mails the 30-day reminder once, then the 7-day one once, across many cron runs', async () => {
    const license = await issued({ validityDays: 90 })
    await cronBefore(license, 31)
    expect(remindersTo(license.email)).toHaveLength(0)
    await cronBefore(license, 30)
    await cronBefore(license, 29)
    await cronBefore(license, 8)
    expect(remindersTo(license.email)).toHaveLength(1)
    await cronBefore(license, 7)
    await cronBefore(license, 6)
    await cronBefore(license, 1)
    expect(remindersTo(license.email)).toHaveLength(2)
    expect(await reminderRows(license.licenseId)).toEqual([{ threshold_days: 30 }, { threshold_days: 7 }])
    await cronBefore(license, -1)
    expect(remindersTo(license.email)).toHaveLength(2)
  })

  it('queues one delivery per license and threshold even when two runs race (once only)', async () => {
    const license = await issued({ validityDays: 90 })
    // Two crons, or a run retried after a crash, each with its own new delivery id.
    await env.DB.batch(insertReminderStatements(env.DB, { ...license, thresholdDays: 30, deliveryId: 'DLV-FIRSTRUN', now: Date.now() }))
    await env.DB.batch(insertReminderStatements(env.DB, { ...license, thresholdDays: 30, deliveryId: 'DLV-SECONDRUN', now: Date.now() }))
    await cronBefore(license, 29)
    const deliveries = await rows(`SELECT id FROM deliveries WHERE application_id = ?1 AND kind = 'renewal_reminder'`, license.applicationId)
    expect(deliveries).toEqual([{ id: 'DLV-FIRSTRUN' }])
    expect(remindersTo(license.email)).toHaveLength(1)
  })

  it('sends a license found 5 days before its end only the 7-day reminder, not a late 30-day one', async () => {
    const license = await issued({ validityDays: 90 })
    await cronBefore(license, 5)
    expect(await reminderRows(license.licenseId)).toEqual([{ threshold_days: 7 }])
    expect(remindersTo(license.email)).toHaveLength(1)
  })

  it('sends no 30-day reminder for a license valid for 30 days only, on the day it is issued', async () => {
    const license = await issued({ validityDays: 30 })
    await cronBefore(license, 30)
    expect(await reminderRows(license.licenseId)).toEqual([])
    await cronBefore(license, 7)
    expect(await reminderRows(license.licenseId)).toEqual([{ threshold_days: 7 }])
  })

  it('follows RENEWAL_REMINDER_DAYS', async () => {
    const license = await issued({ validityDays: 90 })
    const bindings = { ...env, RENEWAL_REMINDER_DAYS: '14' }
    await cronBefore(license, 29, bindings)
    await cronBefore(license, 7, bindings)
    expect(await reminderRows(license.licenseId)).toEqual([{ threshold_days: 14 }])
  })

  it('skips a revoked license', async () => {
    const license = await issued({ validityDays: 90 })
    await env.DB.prepare(`UPDATE licenses SET revoked_at = 1, revoked_by = 'ops@example.com', revocation_reason = 'test' WHERE id = ?1`).bind(license.licenseId).run()
    await cronBefore(license, 6)
    expect(await reminderRows(license.licenseId)).toEqual([])
    expect(remindersTo(license.email)).toHaveLength(0)
  })

  it('skips a license already renewed by a live application, not one whose renewal was refused', async () => {
    const license = await issued({ validityDays: 90 })
    const renewal = await seedApplication({ status: 'pending_approval' })
    await env.DB.prepare('UPDATE applications SET renews_license_id = ?2 WHERE id = ?1').bind(renewal, license.licenseId).run()
    await cronBefore(license, 29)
    expect(await reminderRows(license.licenseId)).toEqual([])
    await env.DB.prepare(`UPDATE applications SET status = 'rejected' WHERE id = ?1`).bind(renewal).run()
    await cronBefore(license, 28)
    expect(await reminderRows(license.licenseId)).toEqual([{ threshold_days: 30 }])
  })

  it('skips a product whose reminders an operator turned off', async () => {
    const license = await issued({ validityDays: 90 })
    await env.DB.prepare(`INSERT INTO product_settings (product, renewal_reminders, updated_at, updated_by) VALUES ('hypermotion', 0, 1, 'ops@example.com')`).run()
    await cronBefore(license, 6)
    expect(await reminderRows(license.licenseId)).toEqual([])
    await env.DB.prepare(`DELETE FROM product_settings`).run()
    await cronBefore(license, 5)
    expect(await reminderRows(license.licenseId)).toEqual([{ threshold_days: 7 }])
  })
})

describe('a queued reminder is checked again when its turn comes', () => {
  /** A reminder queued (as the cron queues it) but not yet sent: the outbox had not reached it. */
  async function queued(): Promise<Issued & { deliveryId: string }> {
    const license = await issued({ validityDays: 90 })
    const deliveryId = `DLV-Q${license.licenseId.slice(-10)}`
    await env.DB.batch(insertReminderStatements(env.DB, { ...license, thresholdDays: 30, deliveryId, now: Date.now() }))
    return { ...license, deliveryId }
  }
  const delivery = (id: string) => row<{ status: string; last_error: string | null }>('SELECT status, last_error FROM deliveries WHERE id = ?1', id)

  it('still sends one that is due', async () => {
    const license = await queued()
    await cronBefore(license, 29)
    expect(remindersTo(license.email)).toHaveLength(1)
    expect(await delivery(license.deliveryId)).toEqual({ status: 'sent', last_error: null })
  })

  const cases: [string, (license: Issued) => Promise<unknown>, string][] = [
    ['whose license was renewed meanwhile', async (license) => {
      const renewal = await seedApplication({ status: 'pending_approval' })
      await env.DB.prepare('UPDATE applications SET renews_license_id = ?2 WHERE id = ?1').bind(renewal, license.licenseId).run()
    }, 'renewed'],
    ['whose license was revoked meanwhile', (license) =>
      env.DB.prepare(`UPDATE licenses SET revoked_at = 1, revoked_by = 'ops@example.com', revocation_reason = 'test' WHERE id = ?1`).bind(license.licenseId).run(), 'revoked'],
    ['whose product\'s reminders were turned off meanwhile', () =>
      env.DB.prepare(`INSERT INTO product_settings (product, renewal_reminders, updated_at, updated_by) VALUES ('hypermotion', 0, 1, 'ops@example.com')`).run(), 'reminders_off'],
  ]
  for (const [what, change, reason] of cases) {
    it(`cancels one ${what}: no mail, the delivery says why`, async () => {
      const license = await queued()
      await change(license)
      try {
        await cronBefore(license, 29)
        expect(remindersTo(license.email)).toHaveLength(0)
        expect(await delivery(license.deliveryId)).toEqual({ status: 'cancelled', last_error: `not sent: ${reason}` })
        // Done with: a later run neither sends nor retries it.
        await cronBefore(license, 28)
        expect(remindersTo(license.email)).toHaveLength(0)
      } finally {
        // The database lasts the file: the switch must not reach the tests after this one.
        await env.DB.prepare('DELETE FROM product_settings').run()
      }
    })
  }

  it('cancels one whose license ended before it went out', async () => {
    const license = await queued()
    await runCron((license.exp + DAY) * 1000)
    expect(remindersTo(license.email)).toHaveLength(0)
    expect(await delivery(license.deliveryId)).toEqual({ status: 'cancelled', last_error: 'not sent: expired' })
  })
})

describe('the renewal reminder mail', () => {
  it('names the license, product, feature code, quantity and expiry in English, with the renewal link', async () => {
    const license = await issued({ validityDays: 90, locale: 'en', timeZone: 'Europe/Berlin', name: 'Li <Lei>' })
    await cronBefore(license, 6)
    const [mail] = remindersTo(license.email)
    expect(mail.payload.subject).toBe(`Your HyperMotion license ${license.licenseId} expires soon: renew it`)
    const url = `${env.PUBLIC_ORIGIN}/apply?renew=${license.licenseId}&t=`
    for (const part of [mail.payload.text, mail.payload.html.replaceAll('&amp;', '&')]) {
      expect(part).toContain(license.licenseId)
      expect(part).toContain('HyperMotion')
      expect(part).toContain(url)
      expect(part).toMatch(/Central European (Standard|Summer) Time/)
      expect(part).toContain('the new license starts when this one ends')
    }
    expect(mail.payload.html).toContain('Li &lt;Lei&gt;')
    expect(mail.payload.html).toContain('<html lang="en">')
  })

  it('is in Chinese for a zh-CN applicant, times in China Standard Time', async () => {
    const license = await issued({ validityDays: 90, locale: 'zh-CN', timeZone: 'Asia/Shanghai' })
    await cronBefore(license, 6)
    const [mail] = remindersTo(license.email)
    expect(mail.payload.subject).toBe(`您的 HyperMotion 许可证 ${license.licenseId} 即将到期，请续期`)
    expect(mail.payload.text).toContain('新许可证自这份许可证到期时起生效')
    expect(mail.payload.text).toContain('中国标准时间')
    expect(mail.payload.text).toContain(`申请续期：${env.PUBLIC_ORIGIN}/apply?renew=${license.licenseId}&t=`)
  })
})
