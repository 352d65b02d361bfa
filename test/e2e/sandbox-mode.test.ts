import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { captureLogs } from '../helpers/log-capture.js'
import { startServer } from '../helpers/server-process.js'
import { request } from 'undici'

describe('sandbox mode', () => {
  it('runs the simulator in-process, uses its account, and says so in one warning line', async () => {
    const logs = captureLogs()
    const app = await buildApp(loadConfig({ SECTIGO_BASE_URL: 'https://must-not-be-used.example/' }), { logStream: logs, pressure: { maxEventLoopDelayMs: 60_000 } })
    const warnings = logs.records().filter((r) => r.level === 'warn' && /sandbox/.test(String(r.msg)))
    expect(warnings).toHaveLength(2)
    expect(warnings.map((w) => w.msg)).toEqual([
      expect.stringMatching(/^sandbox mode: calls go to the built-in Sectigo simulator/),
      'sandbox mode ignores SECTIGO_BASE_URL'
    ])
    const ok = await app.inject({ method: 'POST', url: '/orders/1000001/dcv', payload: { method: 'HTTP_CSR_HASH' } })
    expect(ok.statusCode).toBe(200)
    const failed = await app.inject({ method: 'POST', url: '/orders/1000004/dcv', payload: { method: 'EMAIL', domainName: 'example.net', email: 'admin@example.net' } })
    expect(failed.json().type).toBe('/problems/domain-already-validated')
    await app.close()
  })

  it('is what `npm start` serves on a fresh clone: no variables at all', async () => {
    const proc = await startServer({})
    try {
      expect(proc.lines.some((l) => /"level":"warn".*sandbox mode/.test(l))).toBe(true)
      const res = await request(`${proc.url}/orders/2000001/replacement`, { method: 'POST' })
      expect(res.statusCode).toBe(200)
      expect(((await res.body.json()) as { replacementOrderNumber: string }).replacementOrderNumber).toBe('3000001')
    } finally {
      proc.child.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
    }
  })
})
