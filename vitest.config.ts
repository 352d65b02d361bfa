import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Socket tests bind random loopback ports; files run in parallel, tests within a file in order.
    pool: 'forks',
    // The JSON report feeds the last line of .ci/run.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/vitest-report.json' }
  }
})
