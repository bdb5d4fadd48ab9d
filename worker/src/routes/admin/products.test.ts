// GET /api/admin/products and PUT /api/admin/products/:product/renewal-reminders: the per-product
// reminder switch, operators only, from the console's origin, each change recorded with who made it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CONSOLE_ORIGIN, startActionStack } from '../../../test/admin-actions.ts'
import { OPERATOR, VIEWER } from '../../../test/fake-access.ts'
import { readJson, rows } from '../../../test/helpers.ts'
import { env } from 'cloudflare:workers'

afterEach(() => vi.restoreAllMocks())

async function put(stack: Awaited<ReturnType<typeof startActionStack>>, product: string, body: unknown, o: { email?: string; origin?: string } = {}) {
  return stack.access.request(`/api/admin/products/${product}/renewal-reminders`, {
    method: 'PUT',
    token: await stack.access.sign(o.email === undefined ? {} : { email: o.email }),
    headers: { origin: o.origin ?? CONSOLE_ORIGIN, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

describe('the renewal reminder switch per product', () => {
  it('lists the products with reminders on by default, then off after an operator turns them, with who and when', async () => {
    const stack = await startActionStack()
    await env.DB.prepare('DELETE FROM product_settings').run()
    const list = async () => (await readJson(await stack.access.request('/api/admin/products', { token: await stack.access.sign() }))).products
    expect((await list())[0]).toMatchObject({ id: 'hypermotion', name: 'HyperMotion', renewalReminders: { enabled: true, days: [30, 7], updatedBy: null } })

    const response = await put(stack, 'hypermotion', { enabled: false })
    expect(response.status).toBe(200)
    expect(await readJson(response)).toMatchObject({ product: 'hypermotion', renewalReminders: { enabled: false, updatedBy: OPERATOR } })
    expect((await list())[0].renewalReminders).toMatchObject({ enabled: false, updatedBy: OPERATOR })
    expect((await put(stack, 'hypermotion', { enabled: true })).status).toBe(200)
    const trail = await rows<{ value: string; changed_by: string }>(
      `SELECT value, changed_by FROM product_setting_changes WHERE product = 'hypermotion' ORDER BY id DESC LIMIT 2`,
    )
    expect(trail).toEqual([{ value: 'true', changed_by: OPERATOR }, { value: 'false', changed_by: OPERATOR }])
  })

  it('refuses a viewer with 403 ROLE_OPERATOR_REQUIRED and another origin with 403 CROSS_SITE_REFUSED, changing nothing', async () => {
    const stack = await startActionStack()
    const before = await rows('SELECT * FROM product_setting_changes')
    const viewer = await put(stack, 'hypermotion', { enabled: false }, { email: VIEWER })
    expect(viewer.status).toBe(403)
    expect((await readJson(viewer)).error.code).toBe('ROLE_OPERATOR_REQUIRED')
    const cross = await put(stack, 'hypermotion', { enabled: false }, { origin: 'https://evil.example' })
    expect(cross.status).toBe(403)
    expect((await readJson(cross)).error.code).toBe('CROSS_SITE_REFUSED')
    const anonymous = await stack.access.request('/api/admin/products')
    expect(anonymous.status).toBe(401)
    expect(await rows('SELECT * FROM product_setting_changes')).toEqual(before)
  })

  it('refuses an unknown product with 404 UNKNOWN_PRODUCT and a body without a boolean enabled with 400 VALIDATION_FAILED', async () => {
    const stack = await startActionStack()
    const unknown = await put(stack, 'nosuch', { enabled: false })
    expect(unknown.status).toBe(404)
    expect((await readJson(unknown)).error.code).toBe('UNKNOWN_PRODUCT')
    for (const [body, fields] of [
      [{}, { enabled: 'REQUIRED' }],
      [{ enabled: 'no' }, { enabled: 'INVALID_FORMAT' }],
      [{ enabled: true, days: 3 }, { days: 'NOT_ALLOWED' }],
    ] as const) {
      const response = await put(stack, 'hypermotion', body)
      expect(response.status).toBe(400)
      expect((await readJson(response)).error.fields).toEqual(fields)
    }
  })
})
