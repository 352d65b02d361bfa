import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AddressInfo } from 'node:net'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/http/server-timeouts.js'
import { captureLogs, type LogCapture } from '../helpers/log-capture.js'

// Over real sockets: these answers come from Node's HTTP parser and Fastify's router, which
// app.inject() never reaches.

let app: App
let port: number
let logs: LogCapture

beforeAll(async () => {
  logs = captureLogs()
  app = await buildApp(loadConfig({ LOG_LEVEL: 'info' }), { logStream: logs, pressure: { maxEventLoopDelayMs: 60_000 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as AddressInfo).port
})
afterAll(async () => {
  await app.close()
})

interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: string
  /** Milliseconds from the first byte written to the connection's end. */
  elapsedMs: number
}

/** Writes `chunks` (a delay in ms between them) and reads until the server closes. */
function raw(chunks: Array<string | Buffer>, gapMs = 0, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const started = Date.now()
    const received: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('no answer in time'))
    }, timeoutMs)
    socket.on('data', (d) => received.push(d))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(received).toString('utf8')
      const [head = '', body = ''] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, elapsedMs: Date.now() - started })
    })
    let i = 0
    const next = (): void => {
      if (i >= chunks.length || socket.destroyed) return
      socket.write(chunks[i++] as string | Buffer)
      setTimeout(next, gapMs)
    }
    next()
  })
}

function expectProblem(answer: RawAnswer, status: number, slug: string): Record<string, unknown> {
  expect(answer.status, answer.body).toBe(status)
  expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8')
  expect(answer.headers['cache-control']).toBe('no-store')
  const body = JSON.parse(answer.body) as Record<string, unknown>
  expect(body).toMatchObject({ type: `/problems/${slug}`, status })
  expect(typeof body.requestId).toBe('string')
  expect(answer.headers['x-request-id']).toBe(body.requestId)
  return body
}

const DCV = '{"method":"CNAME_CSR_HASH"}'

describe("errors from Fastify's router and Node's parser are problems", () => {
  it('a path that cannot be decoded keeps the request id it was given', async () => {
    const answer = await raw([`POST /orders/%/dcv HTTP/1.1\r\nHost: x\r\nX-Request-Id: edge-1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`])
    const body = expectProblem(answer, 400, 'malformed-request')
    expect(body.requestId).toBe('edge-1')
    expect(body.instance).toBe('/orders/%/dcv')
  })

  it.each([
    ['a lower-case method', `post /orders/1000001/dcv HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${DCV.length}\r\n\r\n${DCV}`],
    ['raw UTF-8 in the path', Buffer.from(`POST /orders/é/dcv HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`, 'utf8')],
    [
      'Content-Length with Transfer-Encoding',
      `POST /orders/1000001/dcv HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`
    ]
  ])('%s is 400 malformed-request', async (_what, request) => {
    const body = expectProblem(await raw([request]), 400, 'malformed-request')
    expect(String(body.instance)).toMatch(/^urn:uuid:/)
  })

  it('a 20 KB query string is 431, and the query is not logged', async () => {
    const secret = 'spk_' + 'q'.repeat(20_000)
    const answer = await raw([`POST /orders/1000001/dcv?api_key=${secret} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`])
    const body = expectProblem(answer, 431, 'request-header-fields-too-large')
    const line = logs.records().find((l) => l.requestId === body.requestId)
    expect(line).toMatchObject({ msg: 'client error', code: 'HPE_HEADER_OVERFLOW', statusCode: 431 })
    expect(logs.text()).not.toContain('spk_q')
  })
})

describe('inbound timeouts', () => {
  it('are the documented ones, checked twice a second', () => {
    expect(app.server.headersTimeout).toBe(HEADERS_TIMEOUT_MS)
    expect(HEADERS_TIMEOUT_MS).toBe(15_000)
    expect(app.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS)
    expect(REQUEST_TIMEOUT_MS).toBe(30_000)
    expect((app.server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval).toBeLessThanOrEqual(1000)
  })

  it('headers sent one byte at a time are cut within a second of the headers timeout (a 408 problem)', async () => {
    // The same server with a 2 s headers timeout, so that the test takes seconds, not 15.
    const slow = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { logStream: captureLogs(), pressure: { maxEventLoopDelayMs: 60_000 } })
    slow.server.headersTimeout = 2000
    await slow.listen({ port: 0, host: '127.0.0.1' })
    const saved = port
    port = (slow.server.address() as AddressInfo).port
    try {
      const bytes = 'POST /orders/1000001/dcv HTTP/1.1\r\nHost: x\r\nX-Padding: ' + 'a'.repeat(100)
      const answer = await raw([...bytes], 250, 8000)
      expectProblem(answer, 408, 'request-timeout')
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(1900)
      expect(answer.elapsedMs).toBeLessThan(3000)
    } finally {
      port = saved
      await slow.close()
    }
  })
})
