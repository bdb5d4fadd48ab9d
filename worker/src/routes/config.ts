// GET /api/config: what the apply page needs to render and pre-check the form for a product. The
// same settings are inlined into the pages the worker serves (routes/pages.ts).
import { Hono } from 'hono'
import { LOCALES, type Config } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { UnknownProductError } from '../errors.ts'
import { TURNSTILE_ACTION } from '../turnstile.ts'

/** What the settings are made of: the pre-renderer builds these from wrangler.toml's [vars]. */
export type PageSettingsSource = Pick<Config, 'products' | 'defaultProduct' | 'validityDays' | 'quantity' | 'featureCodePattern' | 'turnstile' | 'vendor'>

/** The body of GET /api/config for `productId` (empty or undefined: the default product). */
export function pageSettings(config: PageSettingsSource, productId: string | undefined) {
  const product = config.products.get(productId || config.defaultProduct)
  if (!product) throw new UnknownProductError()
  return {
    product: { id: product.id, name: product.name },
    validityDays: [...config.validityDays],
    quantity: { min: config.quantity.min, max: config.quantity.max },
    featureCodePattern: config.featureCodePattern.source,
    locales: [...LOCALES],
    // Who the applicant deals with (docs/configuration.md, "Vendor"): the form's privacy notice, the status page's contact.
    vendor: { ...config.vendor },
    turnstile: config.turnstile ? { siteKey: config.turnstile.siteKey, scriptUrl: config.turnstile.scriptUrl, action: TURNSTILE_ACTION } : null,
  }
}

export type PageSettings = ReturnType<typeof pageSettings>

export const config = new Hono<AppEnv>().get('/', (c) => {
  const settings = pageSettings(c.var.config, c.req.query('product'))
  c.header('Cache-Control', 'public, max-age=60')
  return c.json(settings)
})
