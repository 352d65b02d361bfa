import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.js'

describe('a caller that hangs up while its call to Sectigo runs', () => {
  it('is still finished, logged, audited, stored and counted; the drain does not wait for it', async () => {
    const t = await buildTestApp()
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, 'errorCode=0&replOrderNumber=3000001').delay(1000)
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`

    const abort = new AbortController()
    const gone = request(`${url}/orders/2000001/replacement`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'hang-up', 'x-request-id': 'hung' },
      body: '{}',
      signal: abort.signal
    }).catch((err: Error) => err.name)
    // Polled, not slept: on a loaded machine the first request (schemas compiled on first use) may
    // take longer than any fixed pause to reach Sectigo; the upstream's 1 s delay is the window.
    await expect.poll(() => t.app.lifecycle.inFlight, { timeout: 5000, interval: 5 }).toBe(1)
    abort.abort()
    expect(await gone).toBe('AbortError')

    const completed = () => t.logs.records().some((r) => r.requestId === 'hung' && r.msg === 'request completed')
    await expect.poll(completed, { timeout: 5000, interval: 20 }).toBe(true)
    expect(t.app.lifecycle.inFlight).toBe(0)
    const lines = t.logs.records().filter((r) => r.requestId === 'hung')
    // One line for the request, its access and audit fields together.
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ msg: 'request completed', audit: true, statusCode: 200, sectigoCode: 0, idempotencyKey: 'hang-up', abandoned: true })
    // The answer the caller never saw is stored: its retry gets it, without a second replacement.
    const retry = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: {}, headers: { 'idempotency-key': 'hang-up' } })
    expect(retry.headers['idempotent-replayed']).toBe('true')
    expect(retry.json().replacementOrderNumber).toBe('3000001')
    t.agent.assertNoPendingInterceptors()

    const started = Date.now()
    t.app.lifecycle.beginShutdown()
    await t.app.lifecycle.drained(5000)
    expect(Date.now() - started).toBeLessThan(100)
    await t.app.close()
  })
})
