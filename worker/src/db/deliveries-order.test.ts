// Which due mail goes out first: under Resend's few mails a second, a license or a refusal the
// customer waits for is not queued behind acknowledgements that were due a little earlier.
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { call, eventRequest, finishEvent, readJson, row, rows, submit, validApplication } from '../../test/helpers.ts'
import { listDueDeliveries } from './deliveries.ts'
import { insertReminderStatements } from './renewals.ts'

beforeEach(() => new FakeUpstream().install())
afterEach(() => {
  vi.restoreAllMocks()
})

async function decided(result: 'agree' | 'refuse'): Promise<string> {
  const created = await readJson(await submit(validApplication()))
  const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id)
  await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, result)))
  return created.id as string
}

describe('listDueDeliveries', () => {
  it('lists decisions (license, rejection, resend) before acknowledgements, each kind oldest first', async () => {
    const approved = await decided('agree')
    const refused = await decided('refuse')
    const all = await rows<{ id: string; kind: string; application_id: string }>('SELECT id, kind, application_id FROM deliveries')
    expect(all.filter((d) => d.kind === 'acknowledgement')).toHaveLength(2)
    // Every mail due again, the acknowledgements earliest.
    const dueAt: Record<string, number> = {}
    for (const d of all) {
      dueAt[d.id] = d.kind === 'acknowledgement' ? 1_000 + (d.application_id === approved ? 0 : 1) : d.kind === 'rejection' ? 2_000 : 3_000
      await env.DB.prepare(`UPDATE deliveries SET status = 'pending', next_attempt_at = ?2 WHERE id = ?1`).bind(d.id, dueAt[d.id]).run()
    }

    const [first] = await listDueDeliveries(env.DB, 10_000, 1)
    expect(first).toMatchObject({ kind: 'rejection', applicationId: refused })
    const order = (await listDueDeliveries(env.DB, 10_000, 10)).map((d) => `${d.kind}:${d.applicationId === approved ? 'approved' : 'refused'}`)
    expect(order).toEqual(['rejection:refused', 'license:approved', 'acknowledgement:approved', 'acknowledgement:refused'])
    // Not yet due stays out, whatever its kind.
    expect(await listDueDeliveries(env.DB, 1_500, 10)).toHaveLength(2)
  })
})

// After the others: the rows it leaves would be in their lists.
describe('listDueDeliveries: reminders', () => {
  it('lists renewal reminders last, after acknowledgements that were due later', async () => {
    const approved = await decided('agree')
    const license = await row<{ id: string }>('SELECT id FROM licenses WHERE application_id = ?1', approved)
    await env.DB.batch(insertReminderStatements(env.DB, { licenseId: license!.id, applicationId: approved, thresholdDays: 30, deliveryId: 'DLV-REMINDFIRST', now: 500 }))
    await env.DB.prepare(`UPDATE deliveries SET status = 'pending', next_attempt_at = CASE kind WHEN 'renewal_reminder' THEN 500 ELSE 900 END WHERE application_id = ?1`).bind(approved).run()
    const order = (await listDueDeliveries(env.DB, 10_000, 10, approved)).map((d) => d.kind)
    expect(order).toEqual(['license', 'acknowledgement', 'renewal_reminder'])
  })
})
