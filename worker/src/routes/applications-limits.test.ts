// POST /api/applications within the pending limits: one pending request per machine (feature
// code and product), PENDING_PER_EMAIL per email, and concurrent twins that create one approval.
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { readJson, row, rows, submit, tokenOf, validApplication } from '../../test/helpers.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const creates = () => fake.relayCalls.filter((c) => c.method === 'POST' && c.target === '/relay/api/v1.0/workflow/processInstances')
const countFor = async (featureCode: string) =>
  (await row<{ n: number }>(`SELECT COUNT(*) AS n FROM applications WHERE upper(replace(feature_code, '-', '')) = upper(replace(?1, '-', ''))`, featureCode))!.n
const applicant = () => validApplication() as Record<string, unknown> & { email: string; featureCode: string }
/** The same code as people retype it: lower case, grouped by hyphens. */
const regrouped = (code: string) => code.toLowerCase().replace(/(.{4})(?=.)/g, '$1-')

describe('POST /api/applications: one pending request per machine', () => {
  it('answers the same applicant with their pending application (200 existing) and creates no second approval', async () => {
    const body = applicant()
    const first = await readJson(await submit(body))
    expect(creates()).toHaveLength(1)

    const again = await submit({ ...body, email: body.email.toUpperCase(), featureCode: ` ${regrouped(body.featureCode)} `, quantity: 9 })
    expect(again.status).toBe(200)
    // By its number only: whoever knows an email and a feature code gets no status link.
    expect(await readJson(again)).toEqual({ id: first.id, status: 'pending_approval', existing: true })
    expect(creates()).toHaveLength(1)
    expect(await countFor(body.featureCode)).toBe(1)
  })

  it('answers another applicant 409 APPLICATION_PENDING with the pending id only, never its status link', async () => {
    const body = applicant()
    const first = await readJson(await submit(body))
    const other = await submit({ ...body, email: 'someone.else@example.com', featureCode: regrouped(body.featureCode) })
    expect(other.status).toBe(409)
    const answer = await readJson(other)
    expect(answer).toEqual({ error: { code: 'APPLICATION_PENDING', message: 'a request for this machine is already awaiting review' }, existingId: first.id })
    expect(JSON.stringify(answer)).not.toContain(tokenOf(first.statusUrl))
    expect(await countFor(body.featureCode)).toBe(1)
    expect(creates()).toHaveLength(1)
  })

  it('takes a new request for the machine once the pending one is decided, and for another product at any time', async () => {
    const two = { ...env, PRODUCTS: '{"hypermotion":{"name":"HyperMotion"},"hyperstore":{"name":"HyperStore"}}' }
    const body = applicant()
    const first = await readJson(await submit(body, {}, two))
    expect((await submit({ ...body, product: 'hyperstore' }, {}, two)).status).toBe(201)
    await env.DB.prepare(`UPDATE applications SET status = 'rejected' WHERE id = ?1`).bind(first.id).run()
    expect((await submit(body, {}, two)).status).toBe(201)
  })

  it('counts a submission held back by a budget as pending', async () => {
    const closed = { ...env, SUBMIT_DAILY_CAP: '0' }
    const body = applicant()
    const kept = await submit(body, {}, closed)
    expect(kept.status).toBe(202)
    expect((await submit(body, {}, closed)).status).toBe(200)
  })

  it('lets concurrent identical submissions create one application and one approval', async () => {
    const body = applicant()
    const answers = await Promise.all(Array.from({ length: 6 }, () => submit(body)))
    const ids = new Set<string>()
    for (const answer of answers) ids.add((await readJson(answer)).id)
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201])
    expect(ids.size).toBe(1)
    expect(await countFor(body.featureCode)).toBe(1)
    expect(creates()).toHaveLength(1)
  })

  it('refuses concurrent requests from several applicants for one machine but one', async () => {
    const body = applicant()
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => submit({ ...body, email: `applicant${i}-${body.email}` })))
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409])
    expect(await countFor(body.featureCode)).toBe(1)
  })
})

describe('POST /api/applications: pending requests per email', () => {
  it('answers 429 TOO_MANY_PENDING for a 4th pending request of one email (any case) and stores nothing', async () => {
    const email = `busy-${crypto.randomUUID().slice(0, 8)}@example.com`
    for (const address of [email, email.toUpperCase(), email]) expect((await submit(validApplication({ email: address }))).status).toBe(201)
    const fourth = await submit(validApplication({ email: `Busy${email.slice(4)}` }))
    expect(fourth.status).toBe(429)
    expect((await readJson(fourth)).error.code).toBe('TOO_MANY_PENDING')
    expect(await rows('SELECT id FROM applications WHERE lower(email) = ?1', email)).toHaveLength(3)
    expect(creates()).toHaveLength(3)
  })

  it('follows PENDING_PER_EMAIL and PENDING_PER_FEATURE_CODE', async () => {
    const loose = { ...env, PENDING_PER_EMAIL: '1', PENDING_PER_FEATURE_CODE: '2' }
    const body = applicant()
    expect((await submit(body, {}, loose)).status).toBe(201)
    // A second request for the machine is allowed (limit 2), but not from the same email (limit 1).
    expect((await submit({ ...body, email: `other-${body.email}` }, {}, loose)).status).toBe(201)
    expect((await submit(validApplication({ email: body.email }), {}, loose)).status).toBe(429)
  })
})
