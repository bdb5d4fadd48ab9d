// GET /api/config: what the apply page needs to render and pre-check the form for a product.
import { Hono } from 'hono'
import { LOCALES } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { UnknownProductError } from '../errors.ts'
import { TURNSTILE_ACTION } from '../turnstile.ts'

export const config = new Hono<AppEnv>().get('/', (c) => {
  const { config } = c.var
  const product = config.products.get(c.req.query('product') || config.defaultProduct)
  if (!product) throw new UnknownProductError()
  c.header('Cache-Control', 'public, max-age=60')
  return c.json({
    product: { id: product.id, name: product.name },
    validityDays: [...config.validityDays],
    quantity: { min: config.quantity.min, max: config.quantity.max },
    featureCodePattern: config.featureCodePattern.source,
    locales: [...LOCALES],
    // Who the applicant deals with (docs/configuration.md, "Vendor"): the form's privacy notice, the status page's contact.
    vendor: { ...config.vendor },
    turnstile: config.turnstile ? { siteKey: config.turnstile.siteKey, scriptUrl: config.turnstile.scriptUrl, action: TURNSTILE_ACTION } : null,
  })
})
