import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { afterEach, describe, expect, it } from 'vitest'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`

const TRACING_ENV = {
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
  API_KEYS: API_KEYS_ENV,
  ALLOW_UNAUTHENTICATED: 'false',
  LOG_LEVEL: 'debug'
}

let t: TestApp | undefined
afterEach(async () => {
  await t?.app.close()
  t = undefined
})

async function tracedApp(env: Record<string, string> = {}) {
  const exporter = new InMemorySpanExporter()
  t = await buildTestApp({ ...TRACING_ENV, ...env }, { spanExporter: exporter })
  return { t, exporter }
}

function serverSpan(spans: ReadableSpan[]): ReadableSpan {
  const found = spans.filter((s) => s.kind === SpanKind.SERVER)
  expect(found).toHaveLength(1)
  return found[0] as ReadableSpan
}
const attemptSpans = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.CLIENT).sort((a, b) => Number(a.attributes['sectigo.attempt']) - Number(b.attributes['sectigo.attempt']))
const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6

describe('tracing on', () => {
  it("continues the caller's traceparent: a server span with route, order, caller and status, a child span per Sectigo attempt", async () => {
    const { t, exporter } = await tracedApp()
    t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0')
    const res = await t.app.inject({
      method: 'POST',
      url: '/orders/1234567/dcv?dryRun=false',
      payload: { method: 'CNAME_CSR_HASH' },
      headers: { ...bearer(KEYS.both), traceparent: TRACEPARENT }
    })
    expect(res.statusCode).toBe(200)
    const spans = exporter.getFinishedSpans()
    const server = serverSpan(spans)
    expect(server.spanContext().traceId).toBe(TRACE_ID)
    expect(server.parentSpanContext?.spanId).toBe(PARENT_ID)
    expect(server.name).toBe('POST /orders/:orderNumber/dcv')
    expect(server.attributes).toMatchObject({
      'http.route': '/orders/:orderNumber/dcv',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'url.path': '/orders/1234567/dcv',
      'sectigo_proxy.order_number': '1234567',
      'sectigo_proxy.caller': 'billing-app',
      'sectigo_proxy.request_id': res.headers['x-request-id'],
      'sectigo.error_code': 0
    })
    expect(server.attributes['sectigo_proxy.problem']).toBeUndefined()
    expect(server.status.code).toBe(SpanStatusCode.UNSET)

    const [attempt, ...more] = attemptSpans(spans)
    expect(more).toHaveLength(0)
    expect(attempt?.name).toBe('sectigo !AutoUpdateDCV')
    expect(attempt?.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
    expect(attempt?.spanContext().traceId).toBe(TRACE_ID)
    expect(attempt?.attributes).toEqual({
      'sectigo.endpoint': '!AutoUpdateDCV',
      'sectigo.attempt': 1,
      'sectigo.outcome': 'answered',
      'sectigo.sent': true,
      'sectigo.queued_ms': 0,
      'sectigo.connect_ms': expect.any(Number),
      'sectigo.error_code': 0
    })
    // The attempt lies within the request.
    expect(ms(attempt?.startTime ?? [0, 0])).toBeGreaterThanOrEqual(ms(server.startTime) - 1)
    expect(ms(attempt?.endTime ?? [0, 0])).toBeLessThanOrEqual(ms(server.endTime) + 5)
    // Only these two: no hook or handler spans.
    expect(spans).toHaveLength(2)

    expect(res.headers.traceresponse).toBe(`00-${TRACE_ID}-${server.spanContext().spanId}-01`)
  })

  it('puts traceId and spanId on every log line of a traced request: its one line with access, audit and Sectigo fields', async () => {
    const { t, exporter } = await tracedApp()
    t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0')
    const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' }, headers: bearer(KEYS.both) })
    const server = serverSpan(exporter.getFinishedSpans())
    const lines = t.logs.records().filter((r) => r.requestId === res.headers['x-request-id'])
    expect(lines.map((l) => l.msg)).toEqual(['request completed'])
    expect(lines[0]).toMatchObject({ audit: true, sectigo: { endpoint: '!AutoUpdateDCV', outcome: 'reply' } })
    for (const line of lines) {
      expect(line, String(line.msg)).toMatchObject({ traceId: server.spanContext().traceId, spanId: server.spanContext().spanId })
    }
    // Without a traceparent the trace is new, and the answer says which.
    expect(res.headers.traceresponse).toBe(`00-${server.spanContext().traceId}-${server.spanContext().spanId}-01`)
  })

  it('retried attempts each get a span: not sent, then answered with a Sectigo error code and the problem on the server span', async () => {
    const { t, exporter } = await tracedApp()
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(refused)
    t.upstream
      .intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' })
      .reply(200, new URLSearchParams({ errorCode: '-14', errorMessage: 'unknown order', errorItem: 'orderNumber' }).toString())
    const res = await t.app.inject({ method: 'POST', url: '/orders/77/dcv', payload: { method: 'CNAME_CSR_HASH' }, headers: bearer(KEYS.both) })
    expect(res.statusCode).toBeGreaterThanOrEqual(400)
    const spans = exporter.getFinishedSpans()
    const server = serverSpan(spans)
    const slug = (res.json() as { type: string }).type.split('/').pop()
    expect(server.attributes['sectigo_proxy.problem']).toBe(slug)
    expect(server.attributes['sectigo.error_code']).toBe(-14)
    expect(server.attributes['http.response.status_code']).toBe(res.statusCode)
    const attempts = attemptSpans(spans)
    expect(attempts.map((s) => s.attributes)).toEqual([
      { 'sectigo.endpoint': '!AutoUpdateDCV', 'sectigo.attempt': 1, 'sectigo.outcome': 'not-sent', 'sectigo.sent': false, 'sectigo.queued_ms': 0, 'sectigo.failure': 'connect' },
      { 'sectigo.endpoint': '!AutoUpdateDCV', 'sectigo.attempt': 2, 'sectigo.outcome': 'answered', 'sectigo.sent': true, 'sectigo.queued_ms': 0, 'sectigo.connect_ms': expect.any(Number), 'sectigo.error_code': -14 }
    ])
    expect(attempts.map((s) => s.status)).toEqual([{ code: SpanStatusCode.ERROR, message: 'connect' }, { code: SpanStatusCode.UNSET }])
    expect(ms(attempts[1]?.startTime ?? [0, 0])).toBeGreaterThanOrEqual(ms(attempts[0]?.endTime ?? [0, 0]) - 1)
  })

  it('a timed-out attempt: outcome timed-out, the server span an error named by its problem slug', async () => {
    const { t, exporter } = await tracedApp({ SECTIGO_TIMEOUT_MS: '150', SECTIGO_CONNECT_TIMEOUT_MS: '100' })
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, 'errorCode=0').delay(1000)
    const res = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: { organization: { name: 'x' } }, headers: bearer(KEYS.both) })
    expect(res.statusCode).toBe(504)
    const spans = exporter.getFinishedSpans()
    const server = serverSpan(spans)
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream-timeout' })
    expect(server.attributes['sectigo_proxy.problem']).toBe('upstream-timeout')
    expect(server.attributes['sectigo_proxy.order_number']).toBe('2000001')
    const [attempt] = attemptSpans(spans)
    expect(attempt?.attributes).toMatchObject({ 'sectigo.endpoint': '!AutoReplaceMC', 'sectigo.outcome': 'timed-out', 'sectigo.failure': 'timeout', 'sectigo.sent': true })
    expect(attempt?.status.code).toBe(SpanStatusCode.ERROR)
    const duration = ms(attempt?.endTime ?? [0, 0]) - ms(attempt?.startTime ?? [0, 0])
    expect(duration).toBeGreaterThanOrEqual(140)
    expect(duration).toBeLessThan(1000)
  })

  it('refused requests: the problem slug, no caller, no attempt, and a thrown validation error keeps only the slug as its message', async () => {
    const { t, exporter } = await tracedApp()
    const unauthorized = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' } })
    expect(unauthorized.statusCode).toBe(401)
    const invalid = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'NOT_A_METHOD', secretish: 'x' }, headers: bearer(KEYS.both) })
    expect(invalid.statusCode).toBe(400)
    const missing = await t.app.inject({ method: 'GET', url: '/nowhere?x=1' })
    expect(missing.statusCode).toBe(404)

    const servers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER)
    expect(servers.map((s) => [s.attributes['http.response.status_code'], s.attributes['sectigo_proxy.problem']])).toEqual([
      [401, 'unauthorized'],
      [400, 'validation-failed'],
      [404, 'not-found']
    ])
    expect(servers[0]?.attributes['sectigo_proxy.caller']).toBeUndefined()
    expect(servers[1]?.attributes['sectigo_proxy.caller']).toBe('billing-app')
    // @fastify/otel marks a thrown error with its message; only the slug remains.
    expect(servers[1]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'validation-failed' })
    expect(servers[1]?.events).toEqual([])
    expect(servers[2]?.attributes['url.path']).toBe('/nowhere')
    expect(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT)).toEqual([])
    for (const res of [unauthorized, invalid, missing]) expect(res.headers.traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
  })

  it('leaves probes and scrapes untraced', async () => {
    const { t, exporter } = await tracedApp()
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { traceparent: TRACEPARENT } })
      expect(res.statusCode).toBe(200)
      expect(res.headers.traceresponse).toBeUndefined()
    }
    expect(exporter.getFinishedSpans()).toEqual([])
  })

  it("follows an unsampled caller: nothing exported, but the logs and the answer still carry the caller's trace id", async () => {
    const { t, exporter } = await tracedApp()
    t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0')
    const res = await t.app.inject({
      method: 'POST',
      url: '/orders/1/dcv',
      payload: { method: 'CNAME_CSR_HASH' },
      headers: { ...bearer(KEYS.both), traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` }
    })
    expect(res.statusCode).toBe(200)
    expect(exporter.getFinishedSpans()).toEqual([])
    expect(res.headers.traceresponse).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`))
    const lines = t.logs.records().filter((r) => r.requestId === res.headers['x-request-id'])
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line.traceId).toBe(TRACE_ID)
  })

  it('samples nothing with OTEL_TRACES_SAMPLER=always_off, a caller asking for it or not', async () => {
    const { t, exporter } = await tracedApp({ OTEL_TRACES_SAMPLER: 'always_off' })
    await t.app.inject({ method: 'GET', url: '/nowhere', headers: { traceparent: TRACEPARENT } })
    expect(exporter.getFinishedSpans()).toEqual([])
  })
})

describe('tracing off', () => {
  it('registers nothing: no traceresponse, no trace ids in the log, the same hooks as without it', async () => {
    const plain = await buildTestApp({ API_KEYS: API_KEYS_ENV, ALLOW_UNAUTHENTICATED: 'false' })
    t = plain
    expect(plain.config.tracing).toBeUndefined()
    expect(plain.app.hasPlugin('tracing')).toBe(false)
    expect(plain.app.hasPlugin('@fastify/otel')).toBe(false)
    plain.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0')
    const res = await plain.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' }, headers: { ...bearer(KEYS.both), traceparent: TRACEPARENT } })
    expect(res.statusCode).toBe(200)
    expect(res.headers.traceresponse).toBeUndefined()
    for (const line of plain.logs.records()) {
      expect(line.traceId).toBeUndefined()
      expect(line.spanId).toBeUndefined()
    }
  })
})
