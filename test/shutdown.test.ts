import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { startServer, type ServerProcess } from './helpers/server-process.js'

let upstream: Server | undefined
let proc: ServerProcess | undefined
afterEach(async () => {
  proc?.child.kill('SIGKILL')
  upstream?.closeAllConnections()
  await new Promise((r) => upstream?.close(r) ?? r(undefined))
})

/** A Sectigo stand-in that answers after `delayMs`, counting what it received. */
async function slowUpstream(delayMs: number) {
  const stats = { received: 0 }
  upstream = createServer((req, res) => {
    stats.received++
    req.resume()
    const timer = setTimeout(() => res.end('errorCode=0'), delayMs)
    res.on('close', () => clearTimeout(timer))
  })
  upstream.listen(0, '127.0.0.1')
  await once(upstream, 'listening')
  return { stats, base: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/products/` }
}

async function until(condition: () => boolean, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}

const env = (base: string, grace: string) => ({
  SECTIGO_LOGIN_NAME: 'acme',
  SECTIGO_LOGIN_PASSWORD: 'secret-pw',
  SECTIGO_BASE_URL: base,
  ALLOW_UNAUTHENTICATED: 'true',
  SECTIGO_TIMEOUT_MS: '5000',
  SECTIGO_CONNECT_TIMEOUT_MS: '1000',
  SHUTDOWN_GRACE_MS: grace
})

describe('graceful shutdown over a real socket', () => {
  it('on SIGTERM: readiness 503 at once, new requests 503, in-flight ones finish, exit 0', async () => {
    const { stats, base } = await slowUpstream(1000)
    proc = await startServer(env(base, '8000'))
    const inFlight = request(`${proc.url}/orders/1234567/dcv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'CNAME_CSR_HASH' })
    })
    await until(() => stats.received === 1)
    const signalled = Date.now()
    proc.child.kill('SIGTERM')
    await sleep(50)

    const ready = await request(`${proc.url}/readyz`)
    expect(ready.statusCode).toBe(503)
    expect(ready.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(((await ready.body.json()) as { type: string }).type).toBe('/problems/service-unavailable')
    const fresh = await request(`${proc.url}/orders/1/dcv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'CNAME_CSR_HASH' })
    })
    expect(fresh.statusCode).toBe(503)
    await fresh.body.dump()
    expect((await request(`${proc.url}/healthz`)).statusCode).toBe(200)

    const done = await inFlight
    expect(done.statusCode).toBe(200)
    expect(await done.body.json()).toEqual({ orderNumber: '1234567', domains: [{ method: 'CNAME_CSR_HASH' }] })
    expect(await proc.exited).toBe(0)
    expect(Date.now() - signalled).toBeLessThan(8000)
    expect(stats.received).toBe(1)
  })

  it('exits at once on a second signal', async () => {
    const { stats, base } = await slowUpstream(30_000)
    proc = await startServer(env(base, '20000'))
    void request(`${proc.url}/orders/1/dcv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'CNAME_CSR_HASH' })
    }).catch(() => undefined)
    await until(() => stats.received === 1)
    proc.child.kill('SIGTERM')
    await sleep(100)
    const second = Date.now()
    proc.child.kill('SIGTERM')
    const code = await proc.exited
    expect(Date.now() - second).toBeLessThan(2000)
    expect(code).not.toBe(0)
  })
})
