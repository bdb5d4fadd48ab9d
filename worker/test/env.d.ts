// Bindings the test configuration adds on top of the worker's own (worker/vitest.config.ts).
import type { D1Migration } from 'cloudflare:test'
import type { Bindings } from '../src/env.ts'

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[]
      ERRORS_MD: string
      ALERTS_MD: string
      TEST_WORKER_PUBLIC_JWK: string
      TEST_PROXY_PRIVATE_JWK: string
    }
  }
}
