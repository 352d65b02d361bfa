import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Socket tests bind random loopback ports; files run in parallel, tests within a file in order.
    pool: 'forks',
    reporters: ['default'],
    outputFile: { json: 'test-output/vitest-report.json' }
  }
})
