import { defineConfig } from 'vitest/config'

// Unit and component tests that run in Node: license, proof, egress proxy, sandbox, page logic.
export default defineConfig({
  test: {
    include: [
      'license/**/*.test.ts',
      'proof/**/*.test.ts',
      'egress-proxy/**/*.test.ts',
      'sandbox/**/*.test.ts',
      'worker/web/**/*.test.ts',
      'worker/deploy/**/*.test.ts',
      'worker/src/contract/**/*.test.ts',
      'docs/verifiers/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 20_000,
  },
})
