// Builds the customer page (apply, status) into dist/web, which the worker serves as static assets.
import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'
import { assetHeadersFile } from '../src/security-headers.ts'

/** Emits `_headers`, the security and cache headers Cloudflare puts on the static assets. */
const assetHeaders = (): Plugin => ({
  name: 'licensedesk-asset-headers',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: '_headers', source: assetHeadersFile() })
  },
})

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  plugins: [
    assetHeaders(),
    vue({
      features: { optionsAPI: false, prodDevtools: false, prodHydrationMismatchDetails: false },
    }),
  ],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // One small chunk: the modulepreload polyfill would only add bytes.
    modulePreload: { polyfill: false },
  },
  // `vite --config worker/web/vite.config.ts` for page work against a running `wrangler dev`.
  server: { proxy: { '/api': 'http://127.0.0.1:8787' } },
})
