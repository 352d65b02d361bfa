import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

/** A request made by openssl, so that the child process loads no library to make one. */
function opensslCsr(): string {
  return execFileSync(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=brand.example', '-addext', 'subjectAltName=DNS:brand.example'],
    { stdio: ['ignore', 'pipe', 'ignore'] }
  ).toString()
}

async function loadedIn(mode: 'live' | 'sandbox', pem: string): Promise<{ statuses: number[]; problem: string | null; loaded: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/csr/fixtures/loaded-modules.ts', JSON.stringify({ mode, pem })], {
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000
  })
  return JSON.parse(stdout) as { statuses: number[]; problem: string | null; loaded: number }
}

describe('the service reads CSRs without an ASN.1 library', () => {
  it('live: a CSR decoded and one refused, and not one module of @peculiar/x509, its schemas or asn1js loaded; sandbox: the simulator loads them', async () => {
    const pem = opensslCsr()
    const live = await loadedIn('live', pem)
    expect(live.statuses).toEqual([200, 422])
    expect(live.problem).toMatch(/invalid-csr$/)
    expect(live.loaded).toBe(0)
    // The same probe sees them when the in-process simulator runs, which reads requests with @peculiar/x509.
    const sandbox = await loadedIn('sandbox', pem)
    expect(sandbox.statuses).toEqual([200, 422])
    expect(sandbox.loaded).toBeGreaterThan(10)
  }, 120_000)
})
