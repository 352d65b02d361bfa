import { describe, expect, it } from 'vitest'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'
import { expectCall } from '../helpers/upstream.js'

const dryRun = (app: Awaited<ReturnType<typeof buildTestApp>>['app'], key: string) =>
  app.inject({ method: 'POST', url: '/orders/1/dcv?dryRun=true', headers: bearer(key), payload: { method: 'CNAME_CSR_HASH' } })

describe('rate limits', () => {
  it('gives each caller RATE_LIMIT_MAX calls per window, then 429 with Retry-After and RateLimit headers', async () => {
    const t = await buildTestApp({ API_KEYS: API_KEYS_ENV, ALLOW_UNAUTHENTICATED: 'false', RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000' })
    const first = await dryRun(t.app, KEYS.both)
    expect(first.headers['ratelimit-limit']).toBe('2')
    expect(first.headers['ratelimit-remaining']).toBe('1')
    expect((await dryRun(t.app, KEYS.both)).statusCode).toBe(200)
    const limited = await dryRun(t.app, KEYS.both)
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(50)
    expect(limited.headers['ratelimit-remaining']).toBe('0')
    expect(limited.json()).toMatchObject({ type: '/problems/rate-limited', status: 429 })
    // Another caller has its own budget.
    expect((await dryRun(t.app, KEYS.dcvOnly)).statusCode).toBe(200)
    // Other routes are not limited.
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    await t.app.close()
  })

  it('counts calls that reach Sectigo and calls that do not alike, and refuses before any call', async () => {
    const t = await buildTestApp({ RATE_LIMIT_MAX: '1' })
    expectCall(t, '!AutoReplaceMC')
    expect((await t.app.inject({ method: 'POST', url: '/orders/1/replacement' })).statusCode).toBe(200)
    const limited = await t.app.inject({ method: 'POST', url: '/orders/1/replacement' })
    expect(limited.statusCode).toBe(429)
    t.agent.assertNoPendingInterceptors()
    await t.app.close()
  })
})

describe('response headers', () => {
  it('marks API answers no-store and nosniff', async () => {
    const t = await buildTestApp()
    for (const res of [
      await t.app.inject({ method: 'POST', url: '/orders/1/dcv?dryRun=true', payload: { method: 'CNAME_CSR_HASH' } }),
      await t.app.inject({ method: 'GET', url: '/nope' }),
      await t.app.inject({ method: 'GET', url: '/healthz' })
    ]) {
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['x-content-type-options']).toBe('nosniff')
    }
    await t.app.close()
  })
})
