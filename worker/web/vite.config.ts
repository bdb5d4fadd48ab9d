// Builds the customer page (apply, status) into dist/web, which the worker serves as static assets.
import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  plugins: [
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
