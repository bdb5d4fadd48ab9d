// /api/admin/products: the products with their renewal-reminder switch (docs/renewal.md), and
// PUT /:product/renewal-reminders { enabled } to turn it, recorded with the operator's email.
// The guard of api.ts has made sure a PUT comes from an operator sending JSON from the console.
import { Hono } from 'hono'
import { limitBody, readJsonObject } from '../../body.ts'
import { listProductSettings, setRenewalReminders } from '../../db/renewals.ts'
import type { StaffEnv } from '../../env.ts'
import { UnknownProductError, ValidationError } from '../../errors.ts'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export const adminProducts = new Hono<StaffEnv>()
  .get('/', async (c) => {
    const settings = await listProductSettings(c.env.DB)
    const products = [...c.var.config.products.values()].map((product) => {
      const setting = settings.get(product.id)
      return {
        id: product.id,
        name: product.name,
        renewalReminders: {
          enabled: setting?.renewalReminders ?? true,
          days: [...c.var.config.renewalReminderDays],
          updatedAt: iso(setting?.updatedAt ?? null),
          updatedBy: setting?.updatedBy ?? null,
        },
      }
    })
    return c.json({ products })
  })
  .put('/:product/renewal-reminders', limitBody(), async (c) => {
    const { config, log, staff } = c.var
    const product = c.req.param('product')
    if (!config.products.has(product)) throw new UnknownProductError()
    const body = await readJsonObject(c)
    const unknown = Object.keys(body).filter((key) => key !== 'enabled')
    if (typeof body.enabled !== 'boolean') throw new ValidationError({ enabled: body.enabled === undefined ? 'REQUIRED' : 'INVALID_FORMAT' })
    if (unknown.length) throw new ValidationError(Object.fromEntries(unknown.map((key) => [key, 'NOT_ALLOWED'])))
    const now = Date.now()
    await setRenewalReminders(c.env.DB, { product, enabled: body.enabled, by: staff.email, now })
    log.info('renewal reminders turned', { product, enabled: body.enabled, operator: staff.email })
    return c.json({ product, renewalReminders: { enabled: body.enabled, updatedAt: iso(now), updatedBy: staff.email } })
  })
