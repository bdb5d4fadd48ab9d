// POST /api/pickups and /api/pickups/token (docs/pickup.md): every answer of the token endpoint,
// the binding at submit and its refusals, single use, slow_down, and no device code in logs or D1.
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { BASE, call, eventRequest, finishEvent, readJson, row, rows, submit, validApplication } from '../../test/helpers.ts'
import { sha256Hex } from '../ids.ts'
import { PICKUP_KEEP_AFTER_EXPIRY_MS, sweepPickups } from '../db/pickups.ts'
import { DEVICE_CODE_GRANT } from './pickups.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

type Grant = { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number }

const post = (path: string, body: Record<string, unknown>, form = false, bindings: Cloudflare.Env = env) =>
  call(
    new Request(`${BASE}${path}`, {
      method: 'POST',
      headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', 'cf-connecting-ip': `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` },
      body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
    }),
    bindings,
  )

async function newPickup(featureCode = validApplication().featureCode as string): Promise<Grant & { featureCode: string }> {
  const response = await post('/api/pickups', { feature_code: featureCode })
  expect(response.status).toBe(200)
  return { ...(await readJson<Grant>(response)), featureCode }
}

/** Polls as if `interval` had passed since the last poll (no real waiting). */
async function poll(deviceCode: string, extra: Record<string, unknown> = {}) {
  await env.DB.prepare('UPDATE pickups SET last_poll_at = NULL WHERE device_code_hash = ?1').bind(await sha256Hex(deviceCode)).run()
  return pollNow(deviceCode, extra)
}
async function pollNow(deviceCode: string, extra: Record<string, unknown> = {}, bindings: Cloudflare.Env = env) {
  const response = await post('/api/pickups/token', { device_code: deviceCode, grant_type: DEVICE_CODE_GRANT, ...extra }, false, bindings)
  return { status: response.status, body: await readJson(response), cache: response.headers.get('cache-control') }
}

async function applyWith(grant: { user_code: string; featureCode: string }, overrides: Record<string, unknown> = {}) {
  return submit(validApplication({ featureCode: grant.featureCode, pickup: grant.user_code, ...overrides }))
}

async function decide(applicationId: string, result: 'agree' | 'refuse') {
  const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', applicationId)
  await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, result)))
}

describe('POST /api/pickups', () => {
  it('answers a device code, a XXXX-XXXX user code and the apply link carrying it and the check value', async () => {
    const grant = await newPickup()
    expect(grant.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(grant.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    const link = new URL(grant.verification_uri_complete)
    expect(link.pathname).toBe('/apply')
    expect(link.searchParams.get('fc')).toBe(grant.featureCode)
    expect(link.searchParams.get('p')).toBe(grant.user_code)
    expect(link.searchParams.get('c')).toMatch(/^[0-9a-f]{6}$/)
    expect(grant).toMatchObject({ expires_in: 900, interval: 5 })
  })

  it('stores only the SHA-256 of the device code', async () => {
    const grant = await newPickup()
    const stored = await rows<Record<string, unknown>>('SELECT * FROM pickups')
    expect(JSON.stringify(stored)).not.toContain(grant.device_code)
    expect(stored.some((r) => r.device_code_hash === undefined)).toBe(false)
    expect(await row('SELECT 1 AS x FROM pickups WHERE device_code_hash = ?1', await sha256Hex(grant.device_code))).not.toBeNull()
  })

  it('takes a form-encoded body too, and refuses an unknown product or a bad feature code with field codes', async () => {
    const form = await post('/api/pickups', { feature_code: 'HMFORM12345' }, true)
    expect(form.status).toBe(200)
    const unknown = await readJson(await post('/api/pickups', { product: 'nope', feature_code: 'HM1' }))
    expect(unknown.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { product: 'NOT_ALLOWED' } })
    const missing = await readJson(await post('/api/pickups', {}))
    expect(missing.error).toMatchObject({ fields: { feature_code: 'REQUIRED' } })
    const text = await call(new Request(`${BASE}/api/pickups`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }))
    expect(text.status).toBe(415)
  })
})

describe('POST /api/pickups/token', () => {
  it('is authorization_pending before an application, and while it awaits approval', async () => {
    const grant = await newPickup()
    expect(await poll(grant.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' }, cache: 'no-store' })
    expect((await applyWith(grant)).status).toBe(201)
    expect((await poll(grant.device_code)).body.error).toBe('authorization_pending')
  })

  it('delivers the license file exactly as mailed, once: a second poll is invalid_grant (single use)', async () => {
    const grant = await newPickup()
    const created = await readJson(await applyWith(grant))
    await decide(created.id, 'agree')
    const license = await row<{ id: string; text: string }>('SELECT id, text FROM licenses WHERE application_id = ?1', created.id)
    const first = await poll(grant.device_code)
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ license: license!.text, license_id: license!.id, file_name: expect.stringMatching(new RegExp(`-${license!.id}\\.lic$`)) })
    expect(first.cache).toBe('no-store')
    // The email still went out with the same file.
    const mail = fake.emails.find((e) => e.payload.attachments?.length)
    expect(mail).toBeDefined()
    expect(await poll(grant.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
  })

  it('answers slow_down to a poll sooner than the interval, and the interval grows by 5 s', async () => {
    const grant = await newPickup()
    expect((await poll(grant.device_code)).body.error).toBe('authorization_pending')
    expect((await pollNow(grant.device_code)).body.error).toBe('slow_down')
    const stored = await row<{ interval_ms: number }>('SELECT interval_ms FROM pickups WHERE device_code_hash = ?1', await sha256Hex(grant.device_code))
    expect(stored!.interval_ms).toBe(10_000)
  })

  it('is access_denied after a refusal, with the remark only when SHOW_APPROVER_COMMENT allows it', async () => {
    const grant = await newPickup()
    const created = await readJson(await applyWith(grant))
    await decide(created.id, 'refuse')
    const denied = await poll(grant.device_code)
    expect(denied).toMatchObject({ status: 400, body: { error: 'access_denied', error_description: 'the application was refused or withdrawn' } })
  })

  it('carries the approver\'s remark in error_description only when SHOW_APPROVER_COMMENT is true', async () => {
    const shown = { ...env, SHOW_APPROVER_COMMENT: 'true' }
    const grant = await newPickup()
    const created = await readJson(await call(new Request(`${BASE}/api/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(validApplication({ featureCode: grant.featureCode, pickup: grant.user_code })) }), shown))
    const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id)
    fake.finish(app!.dingtalk_instance_id, 'COMPLETED', 'refuse', 'over the contract quantity')
    await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, 'refuse')), shown)
    expect((await poll(grant.device_code)).body).toEqual({ error: 'access_denied', error_description: 'the application was refused or withdrawn' })
    await env.DB.prepare('UPDATE pickups SET last_poll_at = NULL').run()
    expect((await pollNow(grant.device_code, {}, shown)).body).toEqual({ error: 'access_denied', error_description: 'over the contract quantity' })
  })

  it('is expired_token once the pickup expired', async () => {
    const grant = await newPickup()
    await env.DB.prepare('UPDATE pickups SET expires_at = 1 WHERE device_code_hash = ?1').bind(await sha256Hex(grant.device_code)).run()
    expect((await poll(grant.device_code)).body.error).toBe('expired_token')
  })

  it('is swept by cron a day after it expired, not before: a late poll still hears expired_token', async () => {
    const grant = await newPickup()
    const hash = await sha256Hex(grant.device_code)
    const now = Date.now()
    await env.DB.prepare('UPDATE pickups SET expires_at = ?2 WHERE device_code_hash = ?1').bind(hash, now - PICKUP_KEEP_AFTER_EXPIRY_MS + 60_000).run()
    await sweepPickups(env.DB, now)
    expect((await poll(grant.device_code)).body.error).toBe('expired_token')
    await sweepPickups(env.DB, now + 120_000)
    expect(await row('SELECT 1 FROM pickups WHERE device_code_hash = ?1', hash)).toBeNull()
    expect((await poll(grant.device_code)).body.error).toBe('invalid_grant')
  })

  it('answers an unknown device code with the same shape as any other refusal, and checks grant_type', async () => {
    const unknown = await pollNow('A'.repeat(43))
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } })
    expect(Object.keys(unknown.body).sort()).toEqual(['error', 'error_description'])
    expect((await pollNow('A'.repeat(43), { grant_type: 'password' })).body.error).toBe('unsupported_grant_type')
    expect((await pollNow('short')).body.error).toBe('invalid_request')
  })

  it('rate-limits a client whose polls keep missing (no cheap oracle for device codes)', async () => {
    const miss = () =>
      call(new Request(`${BASE}/api/pickups/token`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '10.200.0.1' }, body: JSON.stringify({ device_code: 'B'.repeat(43) }) }))
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await miss()).status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400))
    expect(statuses.at(-1)).toBe(429)
  })

  it('never logs the device code', async () => {
    const lines: string[] = []
    for (const method of ['log', 'warn', 'error'] as const) vi.spyOn(console, method).mockImplementation((line: string) => void lines.push(String(line)))
    const grant = await newPickup()
    await poll(grant.device_code)
    await pollNow(grant.device_code)
    expect(lines.join('\n')).not.toContain(grant.device_code)
  })
})

describe('POST /api/pickups/lookup (the pickup page: a typed user code)', () => {
  const lookup = async (code: unknown, ip = `10.8.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`) => {
    const response = await call(
      new Request(`${BASE}/api/pickups/lookup`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body: JSON.stringify({ user_code: code }) }),
    )
    return { status: response.status, body: await readJson(response), cache: response.headers.get('cache-control') }
  }

  it('is where verification_uri points', async () => {
    const grant = await newPickup()
    expect(new URL(grant.verification_uri).pathname).toBe('/pickup')
  })

  it('answers the apply link the QR code holds for a code typed any way a person types it', async () => {
    const grant = await newPickup()
    const letters = grant.user_code.replace('-', '')
    const fullWidth = [...letters.toLowerCase()].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('')
    for (const typed of [grant.user_code, letters.toLowerCase(), ` ${letters.slice(0, 4)} ${letters.slice(4)} `, fullWidth]) {
      const answer = await lookup(typed)
      expect(answer.status).toBe(200)
      expect(answer.cache).toBe('no-store')
      expect(answer.body).toMatchObject({ user_code: grant.user_code, product: 'hypermotion', verification_uri_complete: grant.verification_uri_complete })
      expect(answer.body.expires_in).toBeGreaterThan(890)
    }
    // Nothing secret in it: the device code never leaves the product.
    expect(JSON.stringify(await lookup(grant.user_code))).not.toContain(grant.device_code)
  })

  it('refuses a malformed code as a field, an unknown one with PICKUP_INVALID', async () => {
    expect(await lookup('')).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', fields: { user_code: 'REQUIRED' } } } })
    for (const bad of ['ABCD-EFGH', 'BCDF-GHJ', 'BCDF-GHJKL', 42]) {
      const answer = await lookup(bad)
      expect(answer.status).toBe(400)
      expect(answer.body.error.fields.user_code).toBe(typeof bad === 'number' ? 'REQUIRED' : 'INVALID_FORMAT')
    }
    expect(await lookup('BCDF-GHJK')).toMatchObject({ status: 422, body: { error: { code: 'PICKUP_INVALID' } } })
  })

  it('refuses a code already bound to an application (PICKUP_USED) or expired (PICKUP_EXPIRED)', async () => {
    const used = await newPickup()
    expect((await applyWith(used)).status).toBe(201)
    expect(await lookup(used.user_code)).toMatchObject({ status: 409, body: { error: { code: 'PICKUP_USED' } } })
    const late = await newPickup()
    await env.DB.prepare('UPDATE pickups SET expires_at = 1 WHERE device_code_hash = ?1').bind(await sha256Hex(late.device_code)).run()
    expect(await lookup(late.user_code)).toMatchObject({ status: 410, body: { error: { code: 'PICKUP_EXPIRED' } } })
  })

  it('rate-limits a client whose codes keep missing (no cheap oracle for user codes)', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await lookup('BCDF-GHJK', '10.201.0.1')).status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(422))
    expect(statuses.at(-1)).toBe(429)
  })
})

describe('a pickup for a renewal (the product shows its current license)', () => {
  /** A license issued to a machine, as the product holds it (its .lic text). */
  async function licensed(): Promise<{ featureCode: string; licenseId: string; text: string; exp: number }> {
    const body = validApplication({ validityDays: 90 })
    const created = await readJson(await submit(body))
    await decide(created.id, 'agree')
    const license = await row<{ id: string; text: string; exp: number }>('SELECT id, text, exp FROM licenses WHERE application_id = ?1', created.id)
    return { featureCode: body.featureCode as string, licenseId: license!.id, text: license!.text, exp: license!.exp }
  }

  it('answers the license\'s renewal link carrying the pickup; the renewal it binds reaches the product, starting when the old license ends', async () => {
    const old = await licensed()
    const response = await post('/api/pickups', { feature_code: old.featureCode, license: old.text })
    expect(response.status).toBe(200)
    const grant = await readJson<Grant>(response)
    const link = new URL(grant.verification_uri_complete)
    expect(link.pathname).toBe('/apply')
    expect(link.searchParams.get('renew')).toBe(old.licenseId)
    expect(link.searchParams.get('t')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(link.searchParams.get('p')).toBe(grant.user_code)
    // The pickup page leads to the same renewal link.
    const typed = await call(new Request(`${BASE}/api/pickups/lookup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_code: grant.user_code }) }))
    expect((await readJson(typed)).verification_uri_complete).toBe(grant.verification_uri_complete)

    const renewal = await submit(validApplication({ featureCode: old.featureCode, validityDays: 180, renews: { licenseId: old.licenseId, token: link.searchParams.get('t') }, pickup: grant.user_code }))
    expect(renewal.status).toBe(201)
    const created = await readJson(renewal)
    await decide(created.id, 'agree')
    const answer = await poll(grant.device_code)
    expect(answer.status).toBe(200)
    expect(Date.parse(answer.body.not_before) / 1000).toBe(old.exp)
  })

  it('binds a renewal pickup only to that license\'s renewal, and a new-license pickup to no renewal (PICKUP_INVALID)', async () => {
    const old = await licensed()
    const renewing = await readJson<Grant>(await post('/api/pickups', { feature_code: old.featureCode, license: old.text }))
    const plain = await newPickup(old.featureCode)
    const token = new URL(renewing.verification_uri_complete).searchParams.get('t')
    const fresh = await submit(validApplication({ featureCode: old.featureCode, email: `fresh-${Date.now()}@example.com`, pickup: renewing.user_code }))
    expect(fresh.status).toBe(422)
    expect((await readJson(fresh)).error.code).toBe('PICKUP_INVALID')
    const renewal = await submit(validApplication({ featureCode: old.featureCode, renews: { licenseId: old.licenseId, token }, pickup: plain.user_code }))
    expect(renewal.status).toBe(422)
    expect((await readJson(renewal)).error.code).toBe('PICKUP_INVALID')
    expect(await rows('SELECT id FROM applications WHERE renews_license_id = ?1', old.licenseId)).toEqual([])
  })

  it('opens no renewal for a license id alone, a changed license, another machine\'s, or one that cannot be renewed', async () => {
    const old = await licensed()
    const refuse = async (body: Record<string, unknown>) => {
      const response = await post('/api/pickups', { feature_code: old.featureCode, ...body })
      return { status: response.status, body: await readJson(response) }
    }
    expect(await refuse({ license: old.licenseId })).toMatchObject({ status: 400, body: { error: { fields: { license: 'INVALID_FORMAT' } } } })
    expect(await refuse({ license: '' })).toMatchObject({ status: 400, body: { error: { fields: { license: 'INVALID_FORMAT' } } } })
    // Same id and claims, another signature: not the file this portal issued.
    const tampered = old.text.replace(/([A-Za-z0-9_-])(\s*-----END)/, (_, last: string, end: string) => `${last === 'A' ? 'B' : 'A'}${end}`)
    expect(tampered).not.toBe(old.text)
    expect(await refuse({ license: tampered })).toMatchObject({ status: 400, body: { error: { fields: { license: 'NOT_ALLOWED' } } } })
    expect(await refuse({ license: old.text, feature_code: `${old.featureCode}X` })).toMatchObject({ status: 422, body: { error: { code: 'RENEWAL_MISMATCH' } } })
    await env.DB.prepare(`UPDATE licenses SET revoked_at = 1, revoked_by = 'ops@example.com', revocation_reason = 'test' WHERE id = ?1`).bind(old.licenseId).run()
    expect(await refuse({ license: old.text })).toMatchObject({ status: 410, body: { error: { code: 'LICENSE_REVOKED' } } })
  })
})

describe('POST /api/applications with pickup', () => {
  it('binds the application to the pickup (user code in any case, dash optional)', async () => {
    const grant = await newPickup()
    const created = await readJson(await applyWith({ ...grant, user_code: grant.user_code.replace('-', '').toLowerCase() }))
    const bound = await row<{ application_id: string }>('SELECT application_id FROM pickups WHERE device_code_hash = ?1', await sha256Hex(grant.device_code))
    expect(bound!.application_id).toBe(created.id)
  })

  it('refuses an unknown pickup, or one for another feature code, with PICKUP_INVALID and stores nothing', async () => {
    const grant = await newPickup()
    const before = (await rows('SELECT id FROM applications')).length
    const other = await applyWith({ ...grant, featureCode: `${grant.featureCode}X` })
    expect(other.status).toBe(422)
    expect((await readJson(other)).error.code).toBe('PICKUP_INVALID')
    const unknown = await applyWith({ ...grant, user_code: 'BBBB-BBBB' })
    expect((await readJson(unknown)).error.code).toBe('PICKUP_INVALID')
    expect((await rows('SELECT id FROM applications')).length).toBe(before)
  })

  it('refuses an expired pickup with PICKUP_EXPIRED', async () => {
    const grant = await newPickup()
    await env.DB.prepare('UPDATE pickups SET expires_at = 1 WHERE device_code_hash = ?1').bind(await sha256Hex(grant.device_code)).run()
    const response = await applyWith(grant)
    expect(response.status).toBe(410)
    expect((await readJson(response)).error.code).toBe('PICKUP_EXPIRED')
  })

  it('binds a pickup to one application only: a second is PICKUP_USED, an idempotent retry is the same application', async () => {
    const grant = await newPickup()
    const body = validApplication({ featureCode: grant.featureCode, pickup: grant.user_code })
    const first = await submit(body, { 'Idempotency-Key': 'pickup-retry-1' })
    const retry = await submit(body, { 'Idempotency-Key': 'pickup-retry-1' })
    expect((await readJson(retry)).id).toBe((await readJson(first)).id)
    const second = await applyWith(grant)
    expect(second.status).toBe(409)
    expect((await readJson(second)).error.code).toBe('PICKUP_USED')
  })

  it('binds a new pickup to the applicant\'s own pending application for the machine (answered existing)', async () => {
    const first = await newPickup()
    const body = validApplication({ featureCode: first.featureCode, pickup: first.user_code })
    const created = await readJson(await submit(body))
    const second = await newPickup(first.featureCode)
    const again = await readJson(await submit({ ...body, pickup: second.user_code }))
    expect(again).toMatchObject({ id: created.id, existing: true })
    // The first pickup stays the application's: one pickup per application.
    const bound = await row<{ application_id: string | null }>('SELECT application_id FROM pickups WHERE device_code_hash = ?1', await sha256Hex(second.device_code))
    expect(bound!.application_id).toBeNull()
  })

  it('binds a pickup to the applicant\'s pending application that came by email alone', async () => {
    const body = validApplication()
    const created = await readJson(await submit(body))
    const grant = await newPickup(body.featureCode as string)
    expect(await readJson(await submit({ ...body, pickup: grant.user_code }))).toMatchObject({ id: created.id, existing: true })
    const bound = await row<{ application_id: string | null }>('SELECT application_id FROM pickups WHERE device_code_hash = ?1', await sha256Hex(grant.device_code))
    expect(bound!.application_id).toBe(created.id)
  })

  it('refuses a malformed pickup as a field', async () => {
    const response = await submit(validApplication({ pickup: 'x!' }))
    expect((await readJson(response)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { pickup: 'INVALID_FORMAT' } })
  })
})
