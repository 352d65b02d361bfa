import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { RedisIdempotencyStore } from '../../src/idempotency/redis-store.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'

const REDIS_URL = process.env.REDIS_URL
if (!REDIS_URL) {
  // Loud on purpose: .ci/run always sets REDIS_URL, so a skip here means a local run without Redis.
  console.warn('\n*** REDIS_URL is not set: the Redis idempotency and shared rate-limit tests are SKIPPED ***\n')
}

const SUCCESS = 'errorCode=0&certificateStatus=Pending+Validation&replOrderNumber=3000001'

describe.skipIf(!REDIS_URL)('with a real Redis', () => {
  let redis: Redis
  const apps: TestApp[] = []
  beforeAll(() => {
    redis = new Redis(REDIS_URL ?? '')
  })
  afterAll(async () => {
    await redis.quit()
  })
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.app.close()
  })

  /** A replica: its own app and MockAgent, sharing Redis with the others; counts its upstream calls. */
  async function replica(env: Record<string, string> = {}, delayMs = 0) {
    // A large budget unless a test sets one: the counters in Redis outlive a run.
    const t = await buildTestApp({ REDIS_URL: REDIS_URL ?? '', RATE_LIMIT_MAX: '1000000', ...env })
    apps.push(t)
    const stats = { calls: 0 }
    const scope = t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, () => {
      stats.calls++
      return SUCCESS
    })
    if (delayMs > 0) scope.delay(delayMs)
    scope.persist()
    return { t, stats }
  }

  const replace = (t: TestApp, key: string) =>
    t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: {}, headers: { 'idempotency-key': key } })

  it('uses the redis store by default when REDIS_URL is set', async () => {
    const { t } = await replica()
    expect(t.config.idempotency.store).toBe('redis')
  })

  it('two replicas never both call Sectigo for one key, even when asked at the same moment', async () => {
    const key = `race-${randomUUID()}`
    const a = await replica({}, 100)
    const b = await replica({}, 100)
    const answers = await Promise.all([replace(a.t, key), replace(b.t, key), replace(a.t, key), replace(b.t, key)])
    expect(a.stats.calls + b.stats.calls).toBe(1)
    const statuses = answers.map((r) => r.statusCode).sort()
    expect(statuses).toEqual([200, 409, 409, 409])
    // Once finished, either replica replays the one answer.
    for (const t of [a.t, b.t]) {
      const again = await replace(t, key)
      expect(again.headers['idempotent-replayed']).toBe('true')
      expect(again.json().replacementOrderNumber).toBe('3000001')
    }
    expect(a.stats.calls + b.stats.calls).toBe(1)
  })

  it('writes the in-flight record atomically with the full retention, then replaces it', async () => {
    const store = new RedisIdempotencyStore(redis, { ttlMs: 86_400_000, prefix: `test:${randomUUID()}:` })
    const entry = { state: 'in-flight' as const, fingerprint: 'f', startedAt: Date.now(), token: 't1' }
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => store.begin('k', { ...entry, token: `t${i}` })))
    expect(results.filter((r) => r.acquired)).toHaveLength(1)
    const winner = results.findIndex((r) => r.acquired) + 1
    const keys = await redis.keys('test:*:k')
    const key = keys.find((k) => k.endsWith(':k')) ?? ''
    expect(await redis.pttl(key)).toBeGreaterThan(86_000_000)
    await store.complete('k', 'not-the-owner', { state: 'done', fingerprint: 'f', response: { status: 200, contentType: 'a', body: 'b' } })
    expect(JSON.parse((await redis.get(key)) ?? '{}').state).toBe('in-flight')
    await store.complete('k', `t${winner}`, { state: 'done', fingerprint: 'f', response: { status: 200, contentType: 'a', body: 'b' } })
    expect(JSON.parse((await redis.get(key)) ?? '{}')).toMatchObject({ state: 'done', response: { body: 'b' } })
    expect(await redis.pttl(key)).toBeGreaterThan(86_000_000)
    await redis.del(key)
  })

  it('answers a key whose owner died (stale in-flight record) with 504 unknown, not re-sending', async () => {
    // The longest call is then 0.5 + 3 × 0.5 + 0.9 + 1 = 3.9 s: an owner silent for 3.9 + 30 s is gone.
    const { t, stats } = await replica({ SECTIGO_TIMEOUT_MS: '1000', SECTIGO_CONNECT_TIMEOUT_MS: '500', SECTIGO_QUEUE_TIMEOUT_MS: '500' })
    const key = `dead-${randomUUID()}`
    // A record as a replica that crashed mid-call leaves it: in flight, started long ago.
    const { createHash } = await import('node:crypto')
    const canonical = (await import('canonicalize')).default
    const sha = (s: string) => createHash('sha256').update(s).digest('hex')
    const fingerprint = sha(`POST /orders/2000001/replacement\n${canonical({}) ?? ''}`)
    await redis.set(
      `sectigo-proxy:idem:anonymous:${sha(key)}`,
      JSON.stringify({ state: 'in-flight', fingerprint, startedAt: Date.now() - 40_000, token: 'crashed' }),
      'PX',
      60_000
    )
    const res = await replace(t, key)
    expect(res.statusCode).toBe(504)
    expect(res.json()).toMatchObject({ type: '/problems/upstream-timeout', outcome: 'unknown' })
    expect(stats.calls).toBe(0)
  })

  it('shares one rate-limit budget between replicas', async () => {
    const a = await replica({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' })
    const b = await replica({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' })
    // Earlier runs' counters for this caller must not interfere.
    await redis.del(...(await redis.keys('sectigo-proxy:rate:*')).concat('none'))
    const dry = (t: TestApp) => t.app.inject({ method: 'POST', url: '/orders/1/dcv?dryRun=true', payload: { method: 'CNAME_CSR_HASH' } })
    const statuses = [await dry(a.t), await dry(b.t), await dry(a.t), await dry(b.t)].map((r) => r.statusCode)
    expect(statuses).toEqual([200, 200, 200, 429])
  })
})

describe('an unreachable Redis', () => {
  it('makes idempotent calls fail fast with 503 service-unavailable, nothing sent', async () => {
    const t = await buildTestApp({ REDIS_URL: 'redis://127.0.0.1:1' })
    const started = Date.now()
    const res = await t.app.inject({ method: 'POST', url: '/orders/1/replacement', payload: {}, headers: { 'idempotency-key': 'k' } })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ type: '/problems/service-unavailable', detail: 'The idempotency store is unreachable; nothing was sent.' })
    expect(Date.now() - started).toBeLessThan(2000)
    t.agent.assertNoPendingInterceptors()
    // Without a key, and with the rate limit failing open, calls still go through.
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, SUCCESS)
    expect((await t.app.inject({ method: 'POST', url: '/orders/1/replacement', payload: {} })).statusCode).toBe(200)
    expect(t.logs.text()).not.toContain('127.0.0.1:1')
    await t.app.close()
  })
})
