// GET / and /apply, GET /status/:id, GET /pickup: the customer page, pre-rendered at build time
// (worker/web/prerender.ts) in the visitor's language, with the form's settings inlined as a JSON
// data block and the QR's feature code written into its field by HTMLRewriter, so the form shows
// after one round trip. Assets fetched through the binding do not get `_headers`: the page's CSP
// (with its inlined style's hash) comes from the build's manifest, the rest from apiSecurityHeaders.
import { Hono, type Context } from 'hono'
import { LOCALES, type Locale } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { UnknownProductError } from '../errors.ts'
import { PAGES_MANIFEST, type PagesManifest } from '../pages-manifest.ts'
import { pageSettings, type PageSettings } from './config.ts'

/** Set by the page when the visitor picks a language (worker/web/src/use-locale.ts). */
export const LOCALE_COOKIE = 'licensedesk_locale'
/** The data block's id (worker/web/src/inlined-config.ts). */
export const CONFIG_BLOCK_ID = 'licensedesk-config'

/**
 * The page's language as the page itself picks it: the remembered choice (its cookie), else the
 * first of the browser's languages (Accept-Language, by q) that is Chinese or English, else English.
 */
export function pageLocale(cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  const chosen = cookie?.match(new RegExp(`(?:^|;\\s*)${LOCALE_COOKIE}=([^;]*)`))?.[1]
  if (chosen && (LOCALES as readonly string[]).includes(chosen)) return chosen as Locale
  const tags = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';')
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean)
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index }
    })
    .filter((entry) => entry.tag && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
  for (const { tag } of tags) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN'
    if (tag === 'en' || tag.startsWith('en-')) return 'en'
  }
  return 'en'
}

/** JSON that cannot end its `<script>` element or start markup: `<`, `>`, `&` and line separators escaped. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** The pre-rendered form shows the settings it was built with: only when they are still today's. */
const renderedWith = (built: PageSettings, current: PageSettings) =>
  JSON.stringify(built) === JSON.stringify({ ...current, turnstile: null })

async function asset(c: Context<AppEnv>, path: string): Promise<Response> {
  const built = await c.env.ASSETS?.fetch(new URL(path, c.req.url))
  if (!built?.ok) throw new Error(`the page ${path} is not in the static assets (npm run build): ${built?.status}`)
  return built
}

async function servePage(c: Context<AppEnv>, manifest: PagesManifest, path: string, settings: PageSettings | null, featureCode: string | null) {
  let rewriter = new HTMLRewriter()
  if (settings) {
    rewriter = rewriter.on(`script#${CONFIG_BLOCK_ID}`, {
      element: (element) => void element.setInnerContent(jsonForScript(settings), { html: true }),
    })
  }
  if (featureCode !== null) {
    // Text, not markup: HTMLRewriter escapes it.
    rewriter = rewriter.on('textarea#f-featureCode', {
      element: (element) => void element.setInnerContent(featureCode, { html: false }),
    })
  }
  const page = rewriter.transform(await asset(c, path))
  return c.body(page.body!, 200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': manifest.csp,
    'Cache-Control': 'no-cache',
    Vary: 'Accept-Language, Cookie',
  })
}

async function readManifest(c: Context<AppEnv>): Promise<PagesManifest> {
  return (await asset(c, PAGES_MANIFEST)).json<PagesManifest>()
}

function settingsFor(c: Context<AppEnv>, product: string | undefined): PageSettings | null {
  try {
    return pageSettings(c.var.config, product)
  } catch (error) {
    // The page itself says the link is wrong (its GET /api/config answers UNKNOWN_PRODUCT).
    if (error instanceof UnknownProductError) return null
    throw error
  }
}

async function applyPage(c: Context<AppEnv>) {
  const manifest = await readManifest(c)
  const locale = pageLocale(c.req.header('cookie'), c.req.header('accept-language'))
  // Read as the page reads it (URLSearchParams), so the field shows what the page will hold.
  const query = new URL(c.req.url).searchParams
  const featureCode = query.get('fc')?.trim() || null
  const settings = settingsFor(c, query.get('product')?.trim() || undefined)
  const built = settings ? manifest.products[settings.product.id] : undefined
  if (!settings || !built || !renderedWith(built.settings, settings)) return servePage(c, manifest, manifest.shell, settings, null)
  const path = featureCode === null ? built.apply[locale] : built.applyFromQr[locale]
  return servePage(c, manifest, path, settings, featureCode)
}

async function statusPage(c: Context<AppEnv>) {
  const manifest = await readManifest(c)
  const locale = pageLocale(c.req.header('cookie'), c.req.header('accept-language'))
  // The default product's settings: the status page names the product by them.
  return servePage(c, manifest, manifest.status[locale], settingsFor(c, undefined), null)
}

/** Where a person types a pickup's user code (docs/pickup.md). */
async function pickupPage(c: Context<AppEnv>) {
  const manifest = await readManifest(c)
  const locale = pageLocale(c.req.header('cookie'), c.req.header('accept-language'))
  return servePage(c, manifest, manifest.pickup[locale], settingsFor(c, undefined), null)
}

export const pages = new Hono<AppEnv>().get('/', applyPage).get('/apply', applyPage).get('/status/:id', statusPage).get('/pickup', pickupPage)
