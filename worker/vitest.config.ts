// Worker tests, run inside workerd by @cloudflare/vitest-plugin with the bindings of wrangler.toml.
// Test keys and the status-token secret are generated here, per run, and handed in as bindings: nothing secret is committed.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { generateEd25519Jwk } from '../proof/src/index.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

export default defineConfig(async () => {
  const migrations = await readD1Migrations(`${root}worker/migrations`)
  const [worker, proxy, license] = await Promise.all([generateEd25519Jwk(), generateEd25519Jwk(), generateEd25519Jwk()])
  // wrangler.toml points assets at the page's build output, which may not exist yet.
  mkdirSync(`${root}dist/web`, { recursive: true })
  return {
    root,
    plugins: [
      cloudflareTest({
        wrangler: { configPath: `${root}wrangler.toml` },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ERRORS_MD: readFileSync(`${root}docs/errors.md`, 'utf8'),
            ALERTS_MD: readFileSync(`${root}docs/alerts.md`, 'utf8'),
            WORKER_PRIVATE_JWK: JSON.stringify(worker.privateJwk),
            PROXY_PUBLIC_JWK: JSON.stringify(proxy.publicJwk),
            LICENSE_PRIVATE_JWK: JSON.stringify(license.privateJwk),
            RESEND_API_KEY: 're_test_worker_key',
            STATUS_TOKEN_SECRET: randomBytes(36).toString('base64url'),
            // Test-only halves: the fake proxy checks worker proofs, tests sign events as the proxy.
            TEST_WORKER_PUBLIC_JWK: JSON.stringify(worker.publicJwk),
            TEST_PROXY_PRIVATE_JWK: JSON.stringify(proxy.privateJwk),
          },
        },
      }),
    ],
    test: {
      include: ['worker/src/**/*.test.ts', 'worker/test/**/*.test.ts'],
      setupFiles: ['worker/test/apply-migrations.ts'],
      testTimeout: 20_000,
      silent: 'passed-only',
    },
  }
})
