// The product settings the worker inlines into the page (a `<script type="application/json">`
// data block, never executed), so the form renders without waiting for GET /api/config.
import type { InjectionKey } from 'vue'
import type { ProductConfig } from './api.ts'

/** The data block's id; the worker's HTMLRewriter fills it (worker/src/routes/pages.ts). */
export const CONFIG_BLOCK_ID = 'licensedesk-config'

/** Provided by the entry (main.ts from the page, entry-server.ts at build time); null for none. */
export const INLINED_CONFIG: InjectionKey<ProductConfig | null> = Symbol('inlined-config')

/** The inlined settings, or null when the block is missing, empty or not settings at all. */
export function readInlinedConfig(doc: Document): ProductConfig | null {
  const text = doc.getElementById(CONFIG_BLOCK_ID)?.textContent?.trim()
  if (!text) return null
  try {
    const value = JSON.parse(text) as ProductConfig
    return typeof value?.product?.id === 'string' && Array.isArray(value.validityDays) ? value : null
  } catch {
    return null
  }
}

/** Whether the inlined settings answer for `product` (null: the worker's default, which it inlines). */
export function inlinedFor(inlined: ProductConfig | null, product: string | null): ProductConfig | null {
  return inlined && (product === null || inlined.product.id === product) ? inlined : null
}
