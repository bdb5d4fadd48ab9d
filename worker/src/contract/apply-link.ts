// The apply link a product shows as its QR code (docs/integration.md): one builder for the QR route,
// the license CLI and pickups, so every link carries the feature code's check value the same way.
//   <origin>/apply?product=<id>&fc=<feature code>&c=<check>[&p=<pickup user code>][&lang=<locale>]
import { featureCodeCheck } from './feature-code-check.ts'

/** A pickup's user code as it may appear in a link: 4–64 of A–Z, a–z, 0–9 and '-'. */
export const PICKUP_PATTERN = /^[A-Za-z0-9-]{4,64}$/
export const LINK_LOCALES = ['zh-CN', 'en'] as const
export type LinkLocale = (typeof LINK_LOCALES)[number]

export type ApplyLinkInput = {
  /** The portal's origin, e.g. `https://licenses.example.com` (no path). */
  origin: string
  product: string
  featureCode: string
  /** A pickup's user code (POST /api/pickups), when the product polls for the license. */
  pickup?: string | null
  /** The page's language; without it the page follows the phone's. */
  lang?: LinkLocale | null
}

/** The apply link with its check value; `URLSearchParams` percent-encodes every part (a `+` stays a `+`). */
export async function applyLink(input: ApplyLinkInput, subtle?: SubtleCrypto): Promise<string> {
  const url = new URL('/apply', input.origin)
  url.searchParams.set('product', input.product)
  url.searchParams.set('fc', input.featureCode)
  url.searchParams.set('c', await featureCodeCheck(input.featureCode, subtle))
  if (input.pickup) url.searchParams.set('p', input.pickup)
  if (input.lang) url.searchParams.set('lang', input.lang)
  return url.href
}
