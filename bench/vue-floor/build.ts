// Builds the Vue floor page of bench/first-load.ts: the plain form's fields as a Vue app
// (App.vue), compiled as the customer page is (worker/web/vite.config.ts's vuePlugin), rendered at
// build time and hydrated in the browser. Its bytes are what Vue alone costs a hydrated form.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'vite'
import { vuePlugin } from '../../worker/web/vite.config.ts'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const OUT = fileURLToPath(new URL('../../dist/bench-vue-floor', import.meta.url))

export type VueFloor = { html: (featureCode: string) => Promise<string>; files: Map<string, Buffer> }

/** Served under `base`: the page at `base`, its script at `base` + assets/…. */
export async function buildVueFloor(base: string): Promise<VueFloor> {
  const common = { configFile: false as const, root: HERE, base, publicDir: false as const, logLevel: 'warn' as const, plugins: [vuePlugin()] }
  await build({ ...common, build: { outDir: join(OUT, 'client'), emptyOutDir: true, modulePreload: { polyfill: false } } })
  await build({ ...common, build: { ssr: join(HERE, 'server.ts'), outDir: join(OUT, 'server'), emptyOutDir: true, rollupOptions: { output: { entryFileNames: 'server.mjs' } } } })
  const { render } = (await import(pathToFileURL(join(OUT, 'server', 'server.mjs')).href)) as { render: (featureCode: string) => Promise<string> }
  const shell = await readFile(join(OUT, 'client', 'index.html'), 'utf8')
  const files = new Map<string, Buffer>()
  for (const name of await readdir(join(OUT, 'client', 'assets'))) files.set(`${base}assets/${name}`, await readFile(join(OUT, 'client', 'assets', name)))
  const attribute = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
  return {
    files,
    html: async (featureCode) => {
      const page = shell.replace('<div id="app"></div>', () => `<div id="app" data-feature-code="${attribute(featureCode)}"></div>`)
      const rendered = await render(featureCode)
      return page.replace(/(<div id="app"[^>]*>)<\/div>/, (_, open: string) => `${open}${rendered}</div>`)
    },
  }
}
