import { describe, expect, it } from 'vitest'
import { ANSWER_ALLOWANCE_BYTES, RECORD_OVERHEAD_BYTES } from '../../src/idempotency/memory-store.js'
import { createMetrics } from '../../src/plugins/metrics.js'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'
import { expectCall } from '../helpers/upstream.js'

/** The value of one sample line of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if (!rest.startsWith('{') && !rest.startsWith(' ')) continue
    if (Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1))
  }
  return undefined
}

describe('metrics', () => {
  it('counts requests, Sectigo attempts and codes, idempotency replays and conflicts, process figures', async () => {
    const t = await buildTestApp({ API_KEYS: API_KEYS_ENV, ALLOW_UNAUTHENTICATED: 'false' })
    const dcv = (key?: string) =>
      t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' }, headers: { ...bearer(KEYS.both), ...(key ? { 'idempotency-key': key } : {}) } })
    expectCall(t, '!AutoUpdateDCV')
    expectCall(t, '!AutoUpdateDCV', 'errorCode=-47&errorMessage=x')
    await dcv('k1')
    await dcv('k1')
    await dcv()
    await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'EMAIL' }, headers: { ...bearer(KEYS.both), 'idempotency-key': 'k1' } })
    await t.app.inject({ method: 'GET', url: '/healthz' })
    const res = await t.app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = res.body
    const route = { route: '/orders/:orderNumber/dcv', method: 'POST', caller: 'billing-app' }
    expect(sample(text, 'sectigo_proxy_http_request_duration_seconds_count', { ...route, status_code: '200' })).toBe(2)
    expect(sample(text, 'sectigo_proxy_http_request_duration_seconds_count', { ...route, status_code: '409' })).toBe(1)
    expect(sample(text, 'sectigo_proxy_http_request_duration_seconds_count', { ...route, status_code: '400' })).toBe(1)
    expect(sample(text, 'sectigo_proxy_upstream_duration_seconds_count', { endpoint: '!AutoUpdateDCV', outcome: 'reply' })).toBe(2)
    expect(sample(text, 'sectigo_proxy_upstream_replies_total', { endpoint: '!AutoUpdateDCV', code: '0' })).toBe(1)
    expect(sample(text, 'sectigo_proxy_upstream_replies_total', { endpoint: '!AutoUpdateDCV', code: '-47' })).toBe(1)
    expect(sample(text, 'sectigo_proxy_idempotency_replays_total')).toBe(1)
    expect(sample(text, 'sectigo_proxy_idempotency_conflicts_total', { reason: 'reused' })).toBeUndefined()
    expect(sample(text, 'sectigo_proxy_upstream_active_calls')).toBe(0)
    expect(sample(text, 'sectigo_proxy_upstream_queued_calls')).toBe(0)
    expect(sample(text, 'sectigo_proxy_log_lines_dropped_total')).toBe(0)
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    // Order numbers never become label values.
    expect(text).not.toContain('/orders/1/dcv')
    // No empty caller label on routes without a caller.
    expect(text).not.toContain('caller=""')
    expect(text).toMatch(/^sectigo_proxy_http_request_duration_seconds_count\{route="\/healthz",method="GET",status_code="200"\} \d+$/m)
    // The old, stuttering name is gone.
    expect(text).not.toContain('sectigo_proxy_sectigo_')
    await t.app.close()
  })

  it('says which build runs: version, revision (BUILD_REVISION) and Node', async () => {
    const t = await buildTestApp({ BUILD_REVISION: '0123abc' })
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(text).toContain(`sectigo_proxy_build_info{version="1.0.0",revision="0123abc",node="${process.version}"} 1`)
    await t.app.close()
    const unknown = await buildTestApp()
    expect((await unknown.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('revision="unknown"')
    await unknown.app.close()
  })

  it('counts a reused key as a conflict and shows calls in flight', async () => {
    const t = await buildTestApp()
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, 'errorCode=0').delay(200)
    const first = t.app.inject({ method: 'POST', url: '/orders/1/replacement', payload: {}, headers: { 'idempotency-key': 'a' } })
    await new Promise((r) => setTimeout(r, 50))
    const during = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(sample(during, 'sectigo_proxy_upstream_active_calls')).toBe(1)
    expect(sample(during, 'sectigo_proxy_upstream_queued_calls')).toBe(0)
    // The call in flight holds its record and the allowance for its answer.
    expect(sample(during, 'sectigo_proxy_idempotency_store_bytes')).toBe(t.app.memoryIdempotencyStore?.bytes)
    expect(sample(during, 'sectigo_proxy_idempotency_store_bytes')).toBeGreaterThan(ANSWER_ALLOWANCE_BYTES)
    await t.app.inject({ method: 'POST', url: '/orders/1/replacement', payload: {}, headers: { 'idempotency-key': 'a' } })
    await first
    await t.app.inject({ method: 'POST', url: '/orders/1/replacement', payload: { dcvMethod: 'CNAME_CSR_HASH' }, headers: { 'idempotency-key': 'a' } })
    const after = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(sample(after, 'sectigo_proxy_idempotency_conflicts_total', { reason: 'in-use' })).toBe(1)
    expect(sample(after, 'sectigo_proxy_idempotency_conflicts_total', { reason: 'reused' })).toBe(1)
    // Then only its answer.
    const stored = sample(after, 'sectigo_proxy_idempotency_store_bytes')
    expect(stored).toBe(t.app.memoryIdempotencyStore?.bytes)
    expect(stored).toBeGreaterThan(RECORD_OVERHEAD_BYTES)
    expect(stored).toBeLessThan(ANSWER_ALLOWANCE_BYTES)
    expect(after).toContain('# HELP sectigo_proxy_idempotency_store_bytes Estimated heap bytes')
    await t.app.close()
  })

  it('has no idempotency store gauge without a memory store to read', async () => {
    const metrics = createMetrics({ upstream: () => ({ active: 0, queued: 0, sockets: 0 }), droppedLogLines: () => 0 })
    expect(await metrics.registry.metrics()).not.toContain('sectigo_proxy_idempotency_store_bytes')
    const withStore = createMetrics({ upstream: () => ({ active: 0, queued: 0, sockets: 0 }), droppedLogLines: () => 0, idempotencyStoreBytes: () => 1234 })
    expect(sample(await withStore.registry.metrics(), 'sectigo_proxy_idempotency_store_bytes')).toBe(1234)
  })

  it('keeps a registry per app', async () => {
    const a = await buildTestApp()
    const b = await buildTestApp()
    await a.app.inject({ method: 'GET', url: '/healthz' })
    const text = (await b.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(sample(text, 'sectigo_proxy_http_request_duration_seconds_count', { route: '/healthz' })).toBeUndefined()
    await a.app.close()
    await b.app.close()
  })
})

describe('audit', () => {
  it('writes one audit line per order call, refused or not, never the body', async () => {
    const t = await buildTestApp({ API_KEYS: API_KEYS_ENV, ALLOW_UNAUTHENTICATED: 'false' })
    expectCall(t, '!AutoReplaceMC', 'errorCode=-36&errorMessage=The+certificate+has+already+expired%21')
    await t.app.inject({
      method: 'POST',
      url: '/orders/2000003/replacement',
      payload: { organization: { name: 'Secret Project Name' } },
      headers: { ...bearer(KEYS.both), 'idempotency-key': 'audit-1', 'x-request-id': 'a1' }
    })
    await t.app.inject({ method: 'POST', url: '/orders/5/dcv', payload: { method: 'CNAME_CSR_HASH' }, headers: { 'x-request-id': 'a2' } })
    await t.app.inject({ method: 'GET', url: '/healthz' })
    const lines = t.logs.records().filter((r) => r.audit === true)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      requestId: 'a1',
      caller: 'billing-app',
      method: 'POST',
      route: '/orders/:orderNumber/replacement',
      orderNumber: '2000003',
      idempotencyKey: 'audit-1',
      replayed: false,
      statusCode: 409,
      sectigoCode: -36,
      sectigo: { endpoint: '!AutoReplaceMC', outcome: 'reply', sent: true, attempts: 1, errorCode: -36 },
      msg: 'request completed'
    })
    expect(typeof lines[0]?.durationMs).toBe('number')
    expect(lines[1]).toMatchObject({ requestId: 'a2', caller: null, orderNumber: '5', statusCode: 401, sectigoCode: null, idempotencyKey: null })
    expect(lines[1]?.sectigo).toBeUndefined()
    // One line per request: the order call's line is its access line too.
    expect(t.logs.records().filter((r) => r.requestId === 'a1')).toHaveLength(1)
    expect(t.logs.text()).not.toContain('Secret Project Name')
    await t.app.close()
  })
})

describe('load shedding', () => {
  it('answers 503 service-unavailable (and readiness 503) under pressure, keeping liveness', async () => {
    const t = await buildTestApp({}, { pressure: { maxHeapFraction: 1e-9, sampleIntervalMs: 5 } })
    await new Promise((r) => setTimeout(r, 50))
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toMatchObject({ type: '/problems/service-unavailable' })
    expect(ready.headers['retry-after']).toBe('5')
    const order = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' } })
    expect(order.statusCode).toBe(503)
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    await t.app.close()
  })
})
