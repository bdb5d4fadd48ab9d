import { defineConfig } from 'vitest/config'

// Cross-component tests: the real processes on loopback, and Chromium. One file at a time, since
// each starts its own stack.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
})
