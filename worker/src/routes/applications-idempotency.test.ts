import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { readJson, row, rows, runCron, submit, validApplication } from '../../test/helpers.ts'
import { claimIdempotencyKeyStatements } from '../db/submit-idempotency.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const HOUR = 3_600_000
const newKey = () => crypto.randomUUID()
const withKey = (key: string) => ({ 'idempotency-key': key })
const applicationsOf = (email: unknown) => rows<{ id: string }>('SELECT id FROM applications WHERE email = ?1', email)
const creates = () => fake.relayCalls.filter((c) => c.method === 'POST')

describe('POST /api/applications with an Idempotency-Key', () => {
  it('answers a retry with the same key and body 200 with the original application, creating one application and one DingTalk instance', async () => {
    const body = validApplication()
    const key = newKey()
    const first = await submit(body, withKey(key))
    expect(first.status).toBe(201)
    const created = await readJson(first)

    const again = await submit(body, withKey(key))
    expect(again.status).toBe(200)
    expect(await readJson(again)).toEqual({ id: created.id, status: 'pending_approval', statusUrl: created.statusUrl })

    expect(await applicationsOf(body.email)).toHaveLength(1)
    expect(fake.instances.size).toBe(1)
    expect(creates()).toHaveLength(1)
  })

  it('treats a body that differs only in what validation normalises as the same request', async () => {
    const body = validApplication({ quantity: 5 })
    const key = newKey()
    const created = await readJson(await submit(body, withKey(key)))
    const respelled = { ...body, quantity: '5', name: `  ${body.name}  `, unknownMember: 'ignored' }
    const again = await submit(respelled, withKey(key))
    expect(again.status).toBe(200)
    expect((await readJson(again)).id).toBe(created.id)
    expect(fake.instances.size).toBe(1)
  })

  it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another body and stores nothing', async () => {
    const body = validApplication()
    const key = newKey()
    expect((await submit(body, withKey(key))).status).toBe(201)
    const changed = await submit({ ...body, quantity: 6 }, withKey(key))
    expect(changed.status).toBe(409)
    expect(await readJson(changed)).toEqual({ error: { code: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String) } })
    expect(await applicationsOf(body.email)).toHaveLength(1)
    expect(creates()).toHaveLength(1)
  })

  it('answers 400 INVALID_IDEMPOTENCY_KEY for an empty, too long or oddly spelled key and stores nothing', async () => {
    const body = validApplication()
    for (const key of ['', 'x'.repeat(129), 'has space', 'dot.ted', 'slash/key', 'a+b=']) {
      const response = await submit(body, withKey(key))
      expect(response.status, JSON.stringify(key)).toBe(400)
      expect((await readJson(response)).error.code).toBe('INVALID_IDEMPOTENCY_KEY')
    }
    expect(await applicationsOf(body.email)).toHaveLength(0)
    expect(creates()).toHaveLength(0)
    // The longest allowed key, of every allowed character class, is accepted.
    const longest = `${'aZ09_-'.repeat(21)}ab`
    expect(longest).toHaveLength(128)
    expect((await submit(body, withKey(longest))).status).toBe(201)
  })

  it('answers a retry after the first answer was a saved-but-deferred 202 with 200 and does not submit again', async () => {
    fake.dingtalk = 'unreachable'
    const body = validApplication()
    const key = newKey()
    const first = await submit(body, withKey(key))
    expect(first.status).toBe(202)
    const saved = await readJson(first)

    fake.dingtalk = 'up'
    const again = await submit(body, withKey(key))
    expect(again.status).toBe(200)
    expect(await readJson(again)).toEqual({ id: saved.id, status: 'submitted', statusUrl: saved.statusUrl })
    expect(fake.instances.size).toBe(0)
    expect(await applicationsOf(body.email)).toHaveLength(1)
  })

  it('lets concurrent duplicates create one application: one 201, the others 200 with the same id', async () => {
    const body = validApplication()
    const key = newKey()
    const responses = await Promise.all(Array.from({ length: 5 }, () => submit(body, withKey(key))))
    const statuses = responses.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 200, 200, 200, 201])
    const ids = new Set(await Promise.all(responses.map(async (r) => (await readJson(r)).id)))
    expect(ids.size).toBe(1)
    expect(await applicationsOf(body.email)).toHaveLength(1)
    expect(fake.instances.size).toBe(1)
  })

  it('rolls back the whole batch of a request that loses the key to a concurrent twin', async () => {
    const winner = await readJson(await submit(validApplication(), withKey('race-key-1')))
    const now = Date.now()
    const loser = { id: 'LD-LOSER0000001', now }
    const statements = [
      env.DB.prepare(
        `INSERT INTO applications (id, access_token_hash, product, feature_code, quantity, validity_days, name, company,
           email, locale, status, created_at, updated_at)
         VALUES (?1, 'x', 'hypermotion', 'HMLOSER0001', 1, 30, 'n', 'c', 'loser@example.com', 'en', 'submitted', ?2, ?2)`,
      ).bind(loser.id, now),
      ...claimIdempotencyKeyStatements(env.DB, { key: 'race-key-1', requestHash: 'h', applicationId: loser.id, createdAt: now }),
    ]
    await expect(env.DB.batch(statements)).rejects.toThrow(/UNIQUE|PRIMARY KEY|constraint/i)
    expect(await row('SELECT id FROM applications WHERE id = ?1', loser.id)).toBeNull()
    expect(await row('SELECT application_id FROM submit_idempotency WHERE idempotency_key = ?1', 'race-key-1')).toEqual({
      application_id: winner.id,
    })
  })

  it('treats a key older than 24 hours as new, and cron sweeps such keys', async () => {
    const body = validApplication()
    const key = newKey()
    const first = await readJson(await submit(body, withKey(key)))
    await env.DB.prepare('UPDATE submit_idempotency SET created_at = created_at - ?2 WHERE idempotency_key = ?1').bind(key, 25 * HOUR).run()

    // Another machine: the same one would meet the pending limit (applications-limits.test.ts).
    const later = await submit({ ...body, quantity: 7, featureCode: validApplication().featureCode }, withKey(key))
    expect(later.status).toBe(201)
    const second = await readJson(later)
    expect(second.id).not.toBe(first.id)
    expect(await row('SELECT application_id FROM submit_idempotency WHERE idempotency_key = ?1', key)).toEqual({ application_id: second.id })

    await runCron(Date.now() + 24 * HOUR + 60_000)
    expect(await row('SELECT 1 AS found FROM submit_idempotency WHERE idempotency_key = ?1', key)).toBeNull()
  })

  it('creates a new application for each request without a key, as before (within the pending limits)', async () => {
    const body = validApplication()
    expect((await submit(body)).status).toBe(201)
    expect((await submit({ ...body, featureCode: validApplication().featureCode })).status).toBe(201)
    expect(await applicationsOf(body.email)).toHaveLength(2)
  })
})
