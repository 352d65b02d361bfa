import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js'
import { startServer, type ServerProcess } from '../helpers/server-process.js'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const HEADER_KEY = 'otlp-test-key-0123456789'

let receiver: OtlpReceiver | undefined
let server: ServerProcess | undefined
afterEach(async () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL')
  await receiver?.close()
  server = undefined
  receiver = undefined
})

describe('OTLP/HTTP export, end to end', () => {
  it('the running service exports its spans as protobuf to the configured endpoint, with the configured headers, and flushes at shutdown', async () => {
    receiver = await startOtlpReceiver()
    server = await startServer({
      SECTIGO_MODE: 'sandbox',
      SIMULATOR_PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${HEADER_KEY}`,
      OTEL_SERVICE_NAME: 'sectigo-proxy-e2e',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      // Long enough that only the flush at shutdown can deliver the spans.
      OTEL_BSP_SCHEDULE_DELAY: '600000'
    })
    // Loading the SDK through tsx on a busy machine stalls the loop at start: wait until the
    // load-shedding check is satisfied (/readyz is not traced).
    for (let i = 0; i < 50 && (await fetch(`${server.url}/readyz`)).status !== 200; i++) await sleep(200)
    const res = await fetch(`${server.url}/orders/1000001/dcv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
      body: JSON.stringify({ method: 'CNAME_CSR_HASH' })
    })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`))
    expect(receiver.requests).toHaveLength(0)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    expect(receiver.requests.length).toBeGreaterThan(0)
    for (const request of receiver.requests) {
      expect(request.path).toBe('/v1/traces')
      expect(request.headers['content-type']).toBe('application/x-protobuf')
      expect(request.headers['x-api-key']).toBe(HEADER_KEY)
    }
    const spans = receiver.spans().filter((s) => s.traceId === TRACE_ID)
    const serverSpan = spans.find((s) => s.name === 'POST /orders/:orderNumber/dcv')
    expect(serverSpan?.parentSpanId).toBe('b7ad6b7169203331')
    expect(serverSpan?.attributes).toMatchObject({ 'http.route': '/orders/:orderNumber/dcv', 'http.response.status_code': 200, 'sectigo_proxy.order_number': '1000001' })
    expect(serverSpan?.resource).toMatchObject({ 'service.name': 'sectigo-proxy-e2e', 'deployment.environment.name': 'test' })
    const attempt = spans.find((s) => s.name === 'sectigo !AutoUpdateDCV')
    expect(attempt?.parentSpanId).toBe(serverSpan?.spanId)
    expect(attempt?.attributes).toMatchObject({ 'sectigo.attempt': 1, 'sectigo.outcome': 'answered', 'sectigo.error_code': 0 })
    // The header's value, the backend's key, is scrubbed from the service's log like any secret.
    expect(server.lines.join('\n')).not.toContain(HEADER_KEY)
  }, 60_000)
})
