import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

async function loadedWith(env: Record<string, string>): Promise<{ status: number; traceresponse: string | null; loaded: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/tracing/fixtures/loaded-modules.ts', JSON.stringify(env)], {
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000
  })
  return JSON.parse(stdout) as { status: number; traceresponse: string | null; loaded: number }
}

describe('the OpenTelemetry SDK is loaded only when tracing is configured', () => {
  it('off: not one OpenTelemetry module in the process; on: the SDK and @fastify/otel', async () => {
    const off = await loadedWith({})
    expect(off).toEqual({ status: 200, traceresponse: null, loaded: 0 })
    // The same probe sees them when tracing is on (port 9 on loopback: nothing listens, nothing is exported in time).
    const on = await loadedWith({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '200' })
    expect(on.status).toBe(200)
    expect(on.traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    expect(on.loaded).toBeGreaterThan(10)
  }, 120_000)
})
