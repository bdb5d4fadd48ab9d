// Builds the customer page (apply, status) and the operator console into dist/web, which the worker
// serves as static assets. Two entries, so the console's code never loads for applicants.
import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'
import { assetHeadersFile, type BuildMode } from '../src/security-headers.ts'
import { prerender } from './prerender.ts'

/** Emits `_headers`, the security and cache headers Cloudflare puts on the static assets. */
// `npm run deploy` builds with `--mode deploy`: only then is the sandbox's loopback origin left out.
const assetHeaders = (): Plugin => {
  let mode: BuildMode = 'local'
  return {
    name: 'licensedesk-asset-headers',
    configResolved(config) {
      mode = config.mode === 'deploy' ? 'deploy' : 'local'
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: assetHeadersFile(mode) })
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  plugins: [
    assetHeaders(),
    prerender(),
    vue({
      features: { optionsAPI: false, prodDevtools: false, prodHydrationMismatchDetails: false },
    }),
  ],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: {
      input: {
        apply: fileURLToPath(new URL('index.html', import.meta.url)),
        // dist/web/admin/index.html: under /admin/*, which runs the worker (and its Access guard) first.
        admin: fileURLToPath(new URL('admin/index.html', import.meta.url)),
      },
    },
    // One small chunk: the modulepreload polyfill would only add bytes.
    modulePreload: { polyfill: false },
  },
  // `vite --config worker/web/vite.config.ts` for page work against a running `wrangler dev`.
  server: { proxy: { '/api': 'http://127.0.0.1:8787' } },
})
