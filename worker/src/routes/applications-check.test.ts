// The QR's check value, checked again by the worker: a code the check does not vouch for is refused
// before anything is stored or sent; a matching one submits as if it were absent.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream } from '../../test/fake-upstream.ts'
import { featureCodeCheck } from '../contract/feature-code-check.ts'
import { readJson, rows, submit, validApplication } from '../../test/helpers.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const count = async () => (await rows('SELECT id FROM applications')).length

describe('POST /api/applications with featureCodeCheck', () => {
  it('refuses a check value that does not match the feature code, storing nothing', async () => {
    const body = validApplication() as { featureCode: string }
    const wrong = (await featureCodeCheck(`${body.featureCode}X`)).toUpperCase()
    const before = await count()
    const response = await submit({ ...body, featureCodeCheck: wrong })
    expect(response.status).toBe(400)
    expect((await readJson(response)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { featureCode: 'CHECK_MISMATCH' } })
    expect(await count()).toBe(before)
    expect(fake.instances.size).toBe(0)
  })

  it('refuses a check value that is not six hex digits', async () => {
    const response = await submit({ ...validApplication(), featureCodeCheck: 'xyz123' })
    expect(response.status).toBe(400)
    expect((await readJson(response)).error).toMatchObject({ fields: { featureCodeCheck: 'INVALID_FORMAT' } })
  })

  it('submits when the check value vouches for the code (any letter case, code as wrapped copies show it)', async () => {
    const body = validApplication() as { featureCode: string }
    const check = (await featureCodeCheck(body.featureCode)).toUpperCase()
    const response = await submit({ ...body, featureCode: ` ${body.featureCode.toLowerCase()} `, featureCodeCheck: check })
    expect(response.status).toBe(201)
    expect(fake.instances.size).toBe(1)
  })
})
