// Build-time entry (vite build --ssr, run by worker/web/prerender.ts): renders one page in one
// language to HTML with Vue's server renderer, for the page to hydrate.
import { createSSRApp } from 'vue'
import { renderToString } from 'vue/server-renderer'
import type { ProductConfig } from './api.ts'
import App from './App.vue'
import type { Locale } from './i18n.ts'
import { MESSAGES, translate } from './i18n.ts'
import { INLINED_CONFIG } from './inlined-config.ts'
import type { Route } from './route.ts'
import { useLocale } from './use-locale.ts'

export type RenderedPage = { html: string; title: string }

export async function renderPage(route: Route, locale: Locale, config: ProductConfig | null): Promise<RenderedPage> {
  useLocale().locale.value = locale
  const app = createSSRApp(App, { route })
  app.provide(INLINED_CONFIG, config)
  const html = await renderToString(app)
  const name = route.name === 'apply' ? config?.product.name : undefined
  const title = [name, translate(MESSAGES, locale, 'app.title')].filter(Boolean).join(' · ')
  return { html, title }
}
