// Pre-renders the customer page at build time: after the client build, a server build of
// src/entry-server.ts renders the apply form (per product, language, with or without a QR feature
// code) and the status page's shell to dist/web/_pages/, with the page's CSS inlined (allowed by
// its hash in the page's CSP) and its scripts modulepreloaded. The worker serves these
// (worker/src/routes/pages.ts), inlining the settings and the feature code with HTMLRewriter.
import { createHash } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { build, type Plugin } from 'vite'
import { unstable_readConfig } from 'wrangler'
import type { Bindings } from '../src/env.ts'
import { pattern, products, validityDays, vendorOf } from '../src/config.ts'
import { PAGES_DIR, type PagesManifest } from '../src/pages-manifest.ts'
import { pageSettings, type PageSettings, type PageSettingsSource } from '../src/routes/config.ts'
import { cspValue, pageCsp, type BuildMode } from '../src/security-headers.ts'
import type { Locale } from './src/i18n.ts'
import type { Route } from './src/route.ts'

const LOCALES: readonly Locale[] = ['zh-CN', 'en']
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
// Beside dist/web, never served; under the repository so that `vue` resolves from it.
const SSR_OUT = join(ROOT, 'dist', 'ssr')

/** src/entry-server.ts's renderPage (not imported for its type: it is built with Vite's client types). */
type RenderedPage = { html: string; title: string }
type Render = (route: Route, locale: Locale, config: PageSettings | null) => Promise<RenderedPage>

type ChunkInfo = { type: 'chunk'; name: string; fileName: string; isEntry: boolean; imports: string[]; facadeModuleId: string | null; viteMetadata?: { importedCss: Set<string> } }
type AssetInfo = { type: 'asset'; fileName: string; source: string | Uint8Array }
type Bundle = Record<string, ChunkInfo | AssetInfo>

/** The form's settings from wrangler.toml's top-level [vars], parsed as the worker parses them. */
function settingsSource(): PageSettingsSource {
  const vars = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') }).vars as unknown as Bindings
  const min = Number(vars.QUANTITY_MIN)
  return {
    products: products(vars),
    defaultProduct: vars.DEFAULT_PRODUCT,
    validityDays: validityDays(vars),
    quantity: { min, max: Number(vars.QUANTITY_MAX) },
    featureCodePattern: pattern(vars),
    vendor: vendorOf(vars),
    // Turnstile's keys are not known at build time: the form renders its widget once hydrated.
    turnstile: null,
  }
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function replaceOnce(html: string, search: string | RegExp, replacement: string): string {
  const next = html.replace(search, () => replacement)
  if (next === html) throw new Error(`prerender: ${search} not found in index.html`)
  return next
}

export function prerender(): Plugin {
  let mode: BuildMode = 'local'
  let outDir = ''
  let bundle: Bundle = {}
  return {
    name: 'licensedesk-prerender',
    apply: 'build',
    configResolved(config) {
      mode = config.mode === 'deploy' ? 'deploy' : 'local'
      outDir = config.build.outDir
    },
    writeBundle(_options, output) {
      bundle = output as unknown as Bundle
    },
    // Sequential: the console's build (vite.config.ts) starts once the pages are written.
    closeBundle: {
      sequential: true,
      async handler() {
        const chunks = Object.values(bundle).filter((item): item is ChunkInfo => item.type === 'chunk')
        const entry = chunks.find((chunk) => chunk.isEntry && chunk.name === 'apply')
        const status = chunks.find((chunk) => chunk.facadeModuleId?.endsWith('/StatusPage.vue'))
        const pickup = chunks.find((chunk) => chunk.facadeModuleId?.endsWith('/PickupPage.vue'))
        const shellAsset = bundle['index.html']
        if (!entry || !status || !pickup || shellAsset?.type !== 'asset') throw new Error('prerender: the apply entry, the status or pickup chunk, or index.html is missing')
        const cssOf = (chunk: ChunkInfo, seen = new Set<string>()): string[] => {
          if (seen.has(chunk.fileName)) return []
          seen.add(chunk.fileName)
          const own = [...(chunk.viteMetadata?.importedCss ?? [])]
          const imported = chunk.imports.flatMap((name) => {
            const next = bundle[name]
            return next?.type === 'chunk' ? cssOf(next, seen) : []
          })
          return [...imported, ...own]
        }
        const source = (name: string) => {
          const asset = bundle[name]
          if (asset?.type !== 'asset') throw new Error(`prerender: ${name} not in the bundle`)
          return typeof asset.source === 'string' ? asset.source : new TextDecoder().decode(asset.source)
        }

        // Inline the entry's CSS: a stylesheet would cost the first paint a second round trip.
        let head = String(shellAsset.source)
        const css = cssOf(entry).map(source).join('\n')
        for (const file of cssOf(entry)) head = replaceOnce(head, new RegExp(`\\s*<link rel="stylesheet"[^>]*href="/${file}">`), '')
        head = replaceOnce(head, '</head>', `  <style>${css}</style>\n  </head>`)
        const styleHash = createHash('sha256').update(css).digest('base64')
        const policy = pageCsp(mode)
        const csp = cspValue({ ...policy, styleSrc: [...policy.styleSrc, `'sha256-${styleHash}'`] })

        await build({
          configFile: false,
          root: fileURLToPath(new URL('.', import.meta.url)),
          logLevel: 'warn',
          plugins: [vue({ features: { optionsAPI: false, prodDevtools: false, prodHydrationMismatchDetails: false } })],
          build: {
            ssr: fileURLToPath(new URL('src/entry-server.ts', import.meta.url)),
            outDir: SSR_OUT,
            emptyOutDir: true,
            rollupOptions: { output: { entryFileNames: 'entry-server.mjs' } },
          },
        })
        const { renderPage } = (await import(`${pathToFileURL(join(SSR_OUT, 'entry-server.mjs')).href}?${Date.now()}`)) as { renderPage: Render }

        const pagesDir = join(outDir, PAGES_DIR)
        await rm(pagesDir, { recursive: true, force: true })
        await mkdir(pagesDir, { recursive: true })
        const write = async (name: string, locale: Locale | null, rendered: RenderedPage | null, extraHead = '') => {
          let html = head
          if (locale && rendered) {
            html = replaceOnce(html, /<html lang="[^"]*">/, `<html lang="${locale}" data-prerendered>`)
            html = replaceOnce(html, /<title>[^<]*<\/title>/, `<title>${escapeHtml(rendered.title)}</title>`)
            html = replaceOnce(html, '<div id="app"></div>', `<div id="app">${rendered.html}</div>`)
          }
          if (extraHead) html = replaceOnce(html, '</head>', `${extraHead}</head>`)
          await writeFile(join(pagesDir, `${name}.html`), html)
          return `/${PAGES_DIR}/${name}`
        }

        // A lazily loaded page's shell starts its chunk (and styles) with the HTML.
        const lazyHead = (chunk: ChunkInfo) =>
          [
            `  <link rel="modulepreload" crossorigin href="/${chunk.fileName}">`,
            ...cssOf(chunk).map((file) => `  <link rel="preload" as="style" crossorigin href="/${file}">`),
            '',
          ].join('\n')
        const manifest: PagesManifest = {
          csp,
          shell: await write('shell', null, null),
          status: {} as PagesManifest['status'],
          pickup: {} as PagesManifest['pickup'],
          products: {},
        }
        for (const locale of LOCALES) {
          const route: Route = { name: 'status', id: 'pending', token: null }
          manifest.status[locale] = await write(`status-${locale}`, locale, await renderPage(route, locale, null), lazyHead(status))
          const entry: Route = { name: 'pickup', code: null }
          manifest.pickup[locale] = await write(`pickup-${locale}`, locale, await renderPage(entry, locale, null), lazyHead(pickup))
        }
        const settingsFrom = settingsSource()
        for (const id of settingsFrom.products.keys()) {
          const settings = pageSettings(settingsFrom, id)
          const product = { settings, apply: {} as Record<Locale, string>, applyFromQr: {} as Record<Locale, string> }
          for (const locale of LOCALES) {
            const plain: Route = { name: 'apply', featureCode: null, check: null, product: id }
            // The worker writes the QR's feature code into the (here empty) read-only field.
            const fromQr: Route = { name: 'apply', featureCode: '', check: null, product: id }
            product.apply[locale] = await write(`apply-${id}-${locale}`, locale, await renderPage(plain, locale, settings))
            product.applyFromQr[locale] = await write(`apply-${id}-${locale}-qr`, locale, await renderPage(fromQr, locale, settings))
          }
          manifest.products[id] = product
        }
        await writeFile(join(pagesDir, 'manifest.json'), JSON.stringify(manifest, null, 2))
      },
    },
  }
}
