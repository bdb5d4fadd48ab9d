// GET /api/qr: the apply link of a product and feature code as a QR code (SVG or PNG), for products
// that cannot draw one (docs/integration.md, "QR codes from the portal"). The image is a pure
// function of the URL and the configured origin: a strong ETag and a year of caching.
import { Hono, type Context } from 'hono'
import { compactFeatureCode, isValidFeatureCode, MAX_FEATURE_CODE_LENGTH } from '../../../license/src/feature-code.ts'
import { applyLink, LINK_LOCALES, PICKUP_PATTERN, type LinkLocale } from '../contract/apply-link.ts'
import type { FieldCode } from '../contract/application.ts'
import type { AppEnv } from '../env.ts'
import { UnknownProductError, ValidationError } from '../errors.ts'
import { qrPng, qrSvg } from '../qr/render.ts'
import { cspValue } from '../security-headers.ts'

export const QR_FORMATS = ['svg', 'png'] as const
export type QrFormat = (typeof QR_FORMATS)[number]
/** PNG side in px (and the SVG's width and height when given). */
export const QR_SIZE = { min: 128, max: 1024, png: 512 } as const
/** Bumped whenever the drawing changes, so a revalidation after the change gets the new image. */
const RENDER_VERSION = 'qr1'
const LINK_HEADER = 'X-Apply-Link'
/** An SVG needs nothing but its own inline styles; product consoles embed it from their origin. */
const SVG_CSP = cspValue({ defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"] })
const CACHE = 'public, max-age=31536000, immutable'

export type QrRequest = {
  product: string
  featureCode: string
  pickup: string | null
  lang: LinkLocale | null
  format: QrFormat
  size: number | null
}

/** One value per parameter: a repeated one is INVALID_FORMAT (which of them would be meant?). */
function single(c: Context<AppEnv>, name: string, fields: Record<string, FieldCode>): string | null {
  const values = c.req.queries(name) ?? []
  if (values.length > 1) fields[name] = 'INVALID_FORMAT'
  return values.length === 1 ? values[0] : null
}

/** The query checked field by field (codes as in docs/api.md); UNKNOWN_PRODUCT once the fields are sound. */
export function parseQrQuery(c: Context<AppEnv>): QrRequest {
  const fields: Record<string, FieldCode> = {}
  const product = single(c, 'product', fields)?.trim() ?? ''
  if (!product && !fields.product) fields.product = 'REQUIRED'

  const featureCode = compactFeatureCode(single(c, 'fc', fields) ?? '')
  if (!fields.fc) {
    if (featureCode === '') fields.fc = 'REQUIRED'
    else if (featureCode.length > MAX_FEATURE_CODE_LENGTH) fields.fc = 'TOO_LONG'
    else if (!isValidFeatureCode(featureCode) || !c.var.config.featureCodePattern.test(featureCode)) {
      fields.fc = 'INVALID_FORMAT'
    }
  }

  const pickup = single(c, 'p', fields)
  if (pickup !== null && !PICKUP_PATTERN.test(pickup)) fields.p ??= 'INVALID_FORMAT'

  const lang = single(c, 'lang', fields)
  if (lang !== null && !(LINK_LOCALES as readonly string[]).includes(lang)) fields.lang ??= 'NOT_ALLOWED'

  const format = single(c, 'format', fields) ?? 'svg'
  if (!(QR_FORMATS as readonly string[]).includes(format)) fields.format ??= 'NOT_ALLOWED'

  const sizeText = single(c, 'size', fields)
  let size: number | null = null
  if (sizeText !== null && !fields.size) {
    size = Number(sizeText)
    if (!/^\d{1,5}$/.test(sizeText)) fields.size = 'INVALID_FORMAT'
    else if (size < QR_SIZE.min || size > QR_SIZE.max) fields.size = 'OUT_OF_RANGE'
  }

  if (Object.keys(fields).length > 0) throw new ValidationError(fields)
  if (!c.var.config.products.has(product)) throw new UnknownProductError()
  return { product, featureCode, pickup, lang: lang as LinkLocale | null, format: format as QrFormat, size }
}

/** A strong validator over everything the image depends on. */
async function entityTag(link: string, format: QrFormat, size: number | null): Promise<string> {
  const input = `${RENDER_VERSION}\n${format}\n${size ?? ''}\n${link}`
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(input))
  const hex = [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `"${hex}"`
}

/** If-None-Match (RFC 9110 §13.1.2): `*`, or a list of tags compared weakly. */
export function matchesNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((tag) => {
    const value = tag.trim()
    return value === '*' || value.replace(/^W\//, '') === etag
  })
}

export const qr = new Hono<AppEnv>().get('/', async (c) => {
  const query = parseQrQuery(c)
  // The configured public origin, never the request's Host: the code must lead to the real portal.
  const { product, featureCode, pickup, lang } = query
  const link = await applyLink({ origin: c.var.config.publicOrigin, product, featureCode, pickup, lang })
  const etag = await entityTag(link, query.format, query.size)
  const headers = {
    ETag: etag,
    'Cache-Control': CACHE,
    'Content-Security-Policy': SVG_CSP,
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
    [LINK_HEADER]: link,
  }
  if (matchesNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers)
  if (query.format === 'png') {
    const png = await qrPng(link, query.size ?? QR_SIZE.png)
    return c.body(png as Uint8Array<ArrayBuffer>, 200, { ...headers, 'Content-Type': 'image/png' })
  }
  const svg = await qrSvg(link, query.size ?? undefined)
  return c.body(svg, 200, { ...headers, 'Content-Type': 'image/svg+xml' })
})
