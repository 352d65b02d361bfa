import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load-config.js'
import { MemoryIdempotencyStore } from '../../src/idempotency/memory-store.js'
import { StoreFullError } from '../../src/idempotency/store.js'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'
import { expectCall } from '../helpers/upstream.js'

const apps: TestApp[] = []
async function app(env: Record<string, string> = {}, deps = {}): Promise<TestApp> {
  const t = await buildTestApp(env, deps)
  apps.push(t)
  return t
}
afterEach(async () => {
  for (const t of apps.splice(0)) await t.app.close()
})

const SUCCESS = 'errorCode=0&certificateStatus=Pending+Validation&replOrderNumber=3000001'

function replace(t: TestApp, key: string | undefined, body: object = {}, headers: Record<string, string> = {}, url = '/orders/2000001/replacement') {
  return t.app.inject({ method: 'POST', url, payload: body, headers: { ...(key === undefined ? {} : { 'idempotency-key': key }), ...headers } })
}

describe('Idempotency-Key with the memory store', () => {
  it('replays the stored answer with Idempotent-Replayed and never calls Sectigo twice', async () => {
    const t = await app()
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    const first = await replace(t, 'order-42', { dcvMethod: 'CNAME_CSR_HASH' })
    expect(first.statusCode).toBe(200)
    expect(first.headers['idempotent-replayed']).toBeUndefined()
    const again = await replace(t, 'order-42', { dcvMethod: 'CNAME_CSR_HASH' })
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.headers['content-type']).toBe(first.headers['content-type'])
    expect(again.body).toBe(first.body)
    t.agent.assertNoPendingInterceptors()
  })

  it('replays a problem with its original requestId and the new X-Request-Id', async () => {
    const t = await app()
    expectCall(t, '!AutoUpdateDCV', 'errorCode=-47&errorMessage=domainName+is+already+validated%21')
    const dcv = (id: string) =>
      t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' }, headers: { 'idempotency-key': 'k', 'x-request-id': id } })
    const first = await dcv('first')
    const again = await dcv('second')
    expect(again.statusCode).toBe(409)
    expect(again.headers['x-request-id']).toBe('second')
    expect(again.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(again.json().requestId).toBe('first')
    expect(again.body).toBe(first.body)
  })

  it('ignores member order when fingerprinting the body', async () => {
    const t = await app()
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    await replace(t, 'k', { organization: { name: 'A', country: 'US' }, updateOrgDetails: true })
    const again = await replace(t, 'k', { updateOrgDetails: true, organization: { country: 'US', name: 'A' } })
    expect(again.headers['idempotent-replayed']).toBe('true')
  })

  it.each([
    ['another body', { dcvMethod: 'HTTP_CSR_HASH' }, '/orders/2000001/replacement'],
    ['another order', { dcvMethod: 'CNAME_CSR_HASH' }, '/orders/2000002/replacement']
  ])('answers the same key with %s with 422 idempotency-key-reused', async (_name, body, url) => {
    const t = await app()
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    await replace(t, 'k', { dcvMethod: 'CNAME_CSR_HASH' })
    const res = await replace(t, 'k', body, {}, url)
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ type: '/problems/idempotency-key-reused', errors: [{ header: 'Idempotency-Key' }] })
  })

  it('answers a repeat while the first is in flight with 409, and the first still completes once', async () => {
    const t = await app()
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, SUCCESS).delay(300)
    const first = replace(t, 'k')
    await new Promise((r) => setTimeout(r, 50))
    const second = await replace(t, 'k')
    expect(second.statusCode).toBe(409)
    expect(second.headers['retry-after']).toBe('1')
    expect(second.json().type).toBe('/problems/idempotency-key-in-use')
    expect((await first).statusCode).toBe(200)
    expect((await replace(t, 'k')).headers['idempotent-replayed']).toBe('true')
  })

  it('stores a timeout and replays it: the replacement is never re-sent', async () => {
    const t = await app({ SECTIGO_TIMEOUT_MS: '150', SECTIGO_CONNECT_TIMEOUT_MS: '100' })
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, SUCCESS).delay(1000)
    const first = await replace(t, 'k')
    expect(first.statusCode).toBe(504)
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    const again = await replace(t, 'k')
    expect(again.statusCode).toBe(504)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(t.agent.pendingInterceptors()).toHaveLength(1)
  })

  it('does not store answers refused before any call: validation, pre-flight rules, auth', async () => {
    const t = await app()
    expect((await replace(t, 'k', { organization: {} })).statusCode).toBe(400)
    expect((await replace(t, 'k', { organization: { country: 'XX' } })).statusCode).toBe(422)
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await replace(t, 'k', { organization: { country: 'US' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['idempotent-replayed']).toBeUndefined()
    const dry = await replace(t, 'dry', {}, {}, '/orders/2000001/replacement?dryRun=true')
    expect(dry.statusCode).toBe(200)
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    expect((await replace(t, 'dry', {})).headers['idempotent-replayed']).toBeUndefined()
  })

  it('does not store a call refused because the queue was full', async () => {
    const t = await app({ SECTIGO_MAX_CONNECTIONS: '1', SECTIGO_MAX_QUEUE: '0' })
    t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0').delay(200)
    const busy = t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' } })
    await new Promise((r) => setTimeout(r, 30))
    const refused = await replace(t, 'k')
    expect(refused.statusCode).toBe(503)
    expect(refused.json().type).toBe('/problems/upstream-unavailable')
    await busy
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    expect((await replace(t, 'k')).headers['idempotent-replayed']).toBeUndefined()
  })

  it('scopes keys to the caller', async () => {
    const t = await app({ API_KEYS: API_KEYS_ENV, ALLOW_UNAUTHENTICATED: 'false' })
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    expect((await replace(t, 'shared', {}, bearer(KEYS.both))).statusCode).toBe(200)
    const other = await replace(t, 'shared', {}, bearer(KEYS.replacementOnly))
    expect(other.statusCode).toBe(200)
    expect(other.headers['idempotent-replayed']).toBeUndefined()
  })

  it('answers a repeat of a call whose owner died with 504 unknown, never re-sending', async () => {
    let clock = 1_000_000
    const t = await app({ SECTIGO_TIMEOUT_MS: '60000' }, { now: () => clock })
    // The first request never gets an answer within the test: its owner is as good as dead.
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, SUCCESS).delay(5000)
    void replace(t, 'k')
    await new Promise((r) => setTimeout(r, 50))
    expect((await replace(t, 'k')).statusCode).toBe(409)
    // Past the longest time a call can stay in flight (queue, connect attempts, attempt) + 30 s.
    clock += loadConfig({ SECTIGO_TIMEOUT_MS: '60000' }).longestCallMs + 30_001
    const res = await replace(t, 'k')
    expect(res.statusCode).toBe(504)
    expect(res.json()).toMatchObject({ type: '/problems/upstream-timeout', outcome: 'unknown' })
    expect(res.json().detail).toMatch(/not sent again/)
  })

  it.each([
    ['too long', 'k'.repeat(256)],
    ['a non-ASCII character', 'clé'],
    ['a tab', 'a\tb']
  ])('refuses a key that is %s with 400 naming the header', async (_name, key) => {
    const t = await app()
    const res = await replace(t, key)
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ header: 'Idempotency-Key', detail: 'must be 1 to 255 printable ASCII characters' }])
  })

  it('refuses new keys with 503 when the store is full of live ones', async () => {
    const t = await app({ IDEMPOTENCY_MAX_ENTRIES: '1' })
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    expect((await replace(t, 'one')).statusCode).toBe(200)
    const full = await replace(t, 'two')
    expect(full.statusCode).toBe(503)
    expect(full.json()).toMatchObject({ type: '/problems/service-unavailable' })
    expect(full.headers['retry-after']).toBe('5')
  })

  it('refuses new keys with 503, nothing sent, once the stored answers reach IDEMPOTENCY_MAX_BYTES; stored keys are still replayed', async () => {
    const t = await app({ IDEMPOTENCY_MAX_BYTES: '1048576' })
    const dcv = (key?: string) =>
      t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' }, headers: key === undefined ? {} : { 'idempotency-key': key } })
    // Sectigo's message is quoted twice in the problem: an answer of over 1 MiB, far above its
    // allowance. The call was sent, so it is stored all the same.
    expectCall(t, '!AutoUpdateDCV', `errorCode=-47&errorMessage=${'m'.repeat(600_000)}`)
    const first = await dcv('big')
    expect(first.statusCode).toBe(409)
    expect(first.body.length).toBeGreaterThan(1_200_000)
    const store = t.app.memoryIdempotencyStore
    expect(store?.bytes).toBeGreaterThan(1_048_576)

    const next = expectCall(t, '!AutoUpdateDCV')
    const refused = await dcv('other')
    expect(refused.statusCode).toBe(503)
    expect(refused.json()).toMatchObject({ type: '/problems/service-unavailable', detail: expect.stringMatching(/full of live keys; nothing was sent/) })
    expect(t.agent.pendingInterceptors()).toHaveLength(1)

    const again = await dcv('big')
    expect(again.statusCode).toBe(409)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.body).toBe(first.body)
    expect(t.agent.pendingInterceptors()).toHaveLength(1)

    // A call without a key takes no room and goes through.
    expect((await dcv()).statusCode).toBe(200)
    expect(() => next.fields()).not.toThrow()
    t.agent.assertNoPendingInterceptors()
  })
})

describe('the memory store', () => {
  it('evicts expired entries only, and refuses when full of live ones', async () => {
    let now = 0
    const store = new MemoryIdempotencyStore({ ttlMs: 1000, maxEntries: 2, maxBytes: 100_000_000, now: () => now })
    const inFlight = (token: string) => ({ state: 'in-flight' as const, fingerprint: 'f', startedAt: now, token })
    expect(await store.begin('a', inFlight('1'))).toEqual({ acquired: true })
    expect(await store.begin('b', inFlight('2'))).toEqual({ acquired: true })
    await expect(store.begin('c', inFlight('3'))).rejects.toBeInstanceOf(StoreFullError)
    now = 500
    await store.complete('a', '1', { state: 'done', fingerprint: 'f', response: { status: 200, contentType: 'x', body: 'y' } })
    now = 1200
    // b expired (begun at 0); a was renewed at 500 and lives until 1500.
    expect(await store.begin('c', inFlight('3'))).toEqual({ acquired: true })
    expect(store.size).toBe(2)
    expect((await store.begin('a', inFlight('4'))).acquired).toBe(false)
  })

  it('only the owner token completes or releases a record', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 1000, maxEntries: 10, maxBytes: 100_000_000 })
    await store.begin('a', { state: 'in-flight', fingerprint: 'f', startedAt: 0, token: 'mine' })
    await store.release('a', 'theirs')
    await store.complete('a', 'theirs', { state: 'done', fingerprint: 'f', response: { status: 200, contentType: 'x', body: 'y' } })
    const held = await store.begin('a', { state: 'in-flight', fingerprint: 'f', startedAt: 0, token: 'other' })
    expect(held).toMatchObject({ acquired: false, existing: { state: 'in-flight', token: 'mine' } })
  })
})
