// Where the build puts the pre-rendered pages (worker/web/prerender.ts) and the manifest that lists
// them. Stable: the build writes, the worker reads (routes/pages.ts).
import type { Locale } from './config.ts'
import type { PageSettings } from './routes/config.ts'

export const PAGES_DIR = '_pages'
export const PAGES_MANIFEST = `/${PAGES_DIR}/manifest.json`

/** Page paths are without `.html`: the assets' html_handling redirects `x.html` to `x`. */
export type PagesManifest = {
  /** The pages' Content-Security-Policy: the build's pageCsp plus the inlined style's hash. */
  csp: string
  /** The client-rendered page (same head), for what cannot be served pre-rendered. */
  shell: string
  status: Record<Locale, string>
  /** The pickup page's shell (its chunk modulepreloaded), where a user code is typed. */
  pickup: Record<Locale, string>
  /** Per product: the settings it was rendered with (turnstile: null) and its pages. */
  products: Record<string, { settings: PageSettings; apply: Record<Locale, string>; applyFromQr: Record<Locale, string> }>
}
