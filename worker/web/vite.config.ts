// Builds the customer page (apply, status) and the operator console into dist/web, which the worker
// serves as static assets. The console is a build of its own (run after the page's, see
// consoleBuild): built together, Rollup would put the Vue both use into one shared chunk, tree-shaken
// for the console's needs as well, and the applicant's first load would carry both (issue 9).
import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { build, defineConfig, type InlineConfig, type Plugin } from 'vite'
import { assetHeadersFile, type BuildMode } from '../src/security-headers.ts'
import { prerender } from './prerender.ts'

const ROOT = fileURLToPath(new URL('.', import.meta.url))
const OUT_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url))

/** Vue as both builds (and the pre-renderer's server build) compile it. */
export const vuePlugin = () =>
  vue({ features: { optionsAPI: false, prodDevtools: false, prodHydrationMismatchDetails: false } })

/** `npm run deploy` builds with `--mode deploy`: only then is the sandbox's loopback origin left out. */
const buildMode = (mode: string): BuildMode => (mode === 'deploy' ? 'deploy' : 'local')

/** Emits `_headers`, the security and cache headers Cloudflare puts on the static assets. */
const assetHeaders = (): Plugin => {
  let mode: BuildMode = 'local'
  return {
    name: 'licensedesk-asset-headers',
    configResolved(config) {
      mode = buildMode(config.mode)
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: assetHeadersFile(mode) })
    },
  }
}

/**
 * The console's build: worker/web/admin/index.html → dist/web/admin/index.html (under /admin/*,
 * which runs the worker and its Access guard first), its code and styles in dist/web/assets beside
 * the page's, none of them shared with it.
 */
export const consoleBuild = (mode: string, logLevel: InlineConfig['logLevel']): InlineConfig => ({
  configFile: false,
  root: ROOT,
  base: '/',
  publicDir: false,
  mode,
  logLevel,
  plugins: [vuePlugin()],
  build: {
    outDir: OUT_DIR,
    emptyOutDir: false,
    rollupOptions: { input: { admin: fileURLToPath(new URL('admin/index.html', import.meta.url)) } },
    modulePreload: { polyfill: false },
  },
})

/** Runs the console's build once the page's is written (and pre-rendered). */
const adminConsole = (): Plugin => {
  let mode = 'production'
  let logLevel: InlineConfig['logLevel'] = 'info'
  return {
    name: 'licensedesk-console-build',
    apply: 'build',
    configResolved(config) {
      mode = config.mode
      logLevel = config.logLevel
    },
    closeBundle: {
      sequential: true,
      async handler() {
        await build(consoleBuild(mode, logLevel))
      },
    },
  }
}

export default defineConfig({
  root: ROOT,
  base: '/',
  publicDir: false,
  plugins: [assetHeaders(), prerender(), adminConsole(), vuePlugin()],
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    rollupOptions: { input: { apply: fileURLToPath(new URL('index.html', import.meta.url)) } },
    // One small chunk: the modulepreload polyfill would only add bytes.
    modulePreload: { polyfill: false },
  },
  // `vite --config worker/web/vite.config.ts` for page work against a running `wrangler dev`
  // (the dev server serves admin/index.html as well).
  server: { proxy: { '/api': 'http://127.0.0.1:8787' } },
})
