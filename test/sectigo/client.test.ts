import { once } from 'node:events'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { SectigoClient, newCallRecord, type SectigoCallRecord, type SectigoClientOptions } from '../../src/sectigo/client.js'
import type { Endpoint } from '../../src/sectigo/fields.js'
import type { FormFields } from '../../src/sectigo/form-encoder.js'
import { UpstreamFailure, problemForFailure } from '../../src/sectigo/upstream-failure.js'

const PASSWORD = 'pw&loginName=evil'

/** One call with a fresh record; the record is kept on the returned promise for inspection. */
function call(client: SectigoClient, endpoint: Endpoint, fields: FormFields = [], record: SectigoCallRecord = newCallRecord(endpoint)) {
  return client.call(record, fields)
}

function options(overrides: Partial<SectigoClientOptions> = {}): SectigoClientOptions {
  return {
    baseUrl: 'https://sectigo.test/products/',
    loginName: 'acme',
    loginPassword: PASSWORD,
    timeoutMs: 2000,
    connectTimeoutMs: 1000,
    maxConnections: 4,
    maxQueue: 4,
    queueTimeoutMs: 1000,
    retryDelayMs: 1,
    ...overrides
  }
}

function mock() {
  const agent = new MockAgent()
  agent.disableNetConnect()
  return { agent, pool: agent.get('https://sectigo.test') }
}

async function failureOf(promise: Promise<unknown>): Promise<UpstreamFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(UpstreamFailure)
  return err as UpstreamFailure
}

const connectError = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' })
const socketError = () => Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })

describe('SectigoClient with MockAgent', () => {
  it('posts the credentials first, then the fields, form-encoded, to base + endpoint', async () => {
    const { agent, pool } = mock()
    let seen: { body: string; headers: Record<string, string> } | undefined
    pool
      .intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' })
      .reply(200, (req) => {
        seen = { body: String(req.body), headers: req.headers as Record<string, string> }
        return 'errorCode=0'
      })
    const client = new SectigoClient(options({ dispatcher: agent }))
    const record = newCallRecord('!AutoUpdateDCV')
    const result = await call(client, '!AutoUpdateDCV', [['orderNumber', '1234567'], ['domainName', 'a&b=c']], record)
    expect(result.errorCode).toBe(0)
    expect(record.attempts).toHaveLength(1)
    expect(record).toMatchObject({ sent: true, errorCode: 0 })
    expect(seen?.body).toBe('loginName=acme&loginPassword=pw%26loginName%3Devil&orderNumber=1234567&domainName=a%26b%3Dc')
    expect([...new URLSearchParams(seen?.body)]).toEqual([
      ['loginName', 'acme'],
      ['loginPassword', PASSWORD],
      ['orderNumber', '1234567'],
      ['domainName', 'a&b=c']
    ])
    expect(seen?.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8')
    agent.assertNoPendingInterceptors()
  })

  it('records every attempt with its outcome, code and timing, never the body', async () => {
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(connectError())
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=-47&errorMessage=x')
    const client = new SectigoClient(options({ dispatcher: agent }))
    const record = newCallRecord('!AutoUpdateDCV')
    await call(client, '!AutoUpdateDCV', [['orderNumber', '1']], record)
    expect(record.attempts).toHaveLength(2)
    expect(record.attempts[0]).toMatchObject({ attempt: 1, outcome: 'connect', code: 'ECONNREFUSED', sent: false })
    expect(record.attempts[1]).toMatchObject({ attempt: 2, outcome: 'reply', errorCode: -47, statusCode: 200, sent: true })
    expect(typeof record.attempts[1]?.durationMs).toBe('number')
    expect(record).toMatchObject({ sent: true, errorCode: -47 })
    expect(JSON.stringify(record)).not.toContain('pw&')
    expect(JSON.stringify(record)).not.toContain('loginPassword')
  })

  it('retries AutoUpdateDCV at most twice, only for connect failures', async () => {
    const { agent, pool } = mock()
    for (let i = 0; i < 3; i++) pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(connectError())
    const client = new SectigoClient(options({ dispatcher: agent }))
    const failure = await failureOf(call(client, '!AutoUpdateDCV', []))
    expect(failure.kind).toBe('connect')
    expect(failure.outcome).toBe('not-sent')
    agent.assertNoPendingInterceptors()
    expect(problemForFailure(failure).slug).toBe('upstream-unavailable')
  })

  it('counts an error before the first write as not sent, whatever its code', async () => {
    // MockAgent fails a replyWithError before the request is written, as a refused connection
    // would: with nothing written, the call is retried and reported as not sent.
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(socketError())
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0')
    const client = new SectigoClient(options({ dispatcher: agent }))
    const record = newCallRecord('!AutoUpdateDCV')
    expect((await call(client, '!AutoUpdateDCV', [], record)).errorCode).toBe(0)
    expect(record.attempts.map((a) => [a.outcome, a.sent])).toEqual([
      ['connect', false],
      ['reply', true]
    ])
    agent.assertNoPendingInterceptors()
  })

  it('never sends AutoReplaceMC twice, even after a connect failure', async () => {
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).replyWithError(connectError())
    pool.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, 'errorCode=0')
    const client = new SectigoClient(options({ dispatcher: agent }))
    const failure = await failureOf(call(client, '!AutoReplaceMC', []))
    expect(failure.kind).toBe('connect')
    expect(agent.pendingInterceptors()).toHaveLength(1)
  })

  it.each([
    ['an HTTP 500 page', 500, '<html>Internal Server Error</html>', 'http-status'],
    ['an HTTP 404', 404, 'not found', 'http-status'],
    ['a body without errorCode', 200, 'hello=world', 'bad-reply'],
    ['an HTML body with 200', 200, '<html></html>', 'bad-reply'],
    ['an empty body', 200, '', 'bad-reply'],
    ['a body over 1 MiB', 200, `errorCode=0&x=${'a'.repeat(1024 * 1024)}`, 'too-large']
  ])('maps %s to a bad response with unknown outcome', async (_name, status, body, kind) => {
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(status, body)
    const client = new SectigoClient(options({ dispatcher: agent }))
    const failure = await failureOf(call(client, '!AutoReplaceMC', []))
    expect(failure.kind).toBe(kind)
    const problem = problemForFailure(failure)
    expect(problem.slug).toBe('upstream-bad-response')
    expect(problem.status).toBe(502)
    expect(problem.options.outcome).toBe('unknown')
    expect(problem.options.detail).toMatch(/may have been made/)
  })

  it('refuses calls beyond SECTIGO_MAX_CONNECTIONS + SECTIGO_MAX_QUEUE without sending them', async () => {
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0').delay(100).times(2)
    const client = new SectigoClient(options({ dispatcher: agent, maxConnections: 1, maxQueue: 1 }))
    const calls = [1, 2, 3].map(() => call(client, '!AutoUpdateDCV').then(() => 'ok', (e: UpstreamFailure) => e.kind))
    expect([client.active, client.queued]).toEqual([1, 1])
    expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'queue-full'])
    expect([client.active, client.queued]).toEqual([0, 0])
    const problem = problemForFailure(new UpstreamFailure('queue-full', 'x'))
    expect(problem.status).toBe(503)
    expect(problem.retryAfter).toBe(2)
  })

  it('previews the exact fields with the password redacted', () => {
    const client = new SectigoClient(options())
    expect(client.preview([['orderNumber', '1']])).toEqual({ loginName: 'acme', loginPassword: '[redacted]', orderNumber: '1' })
  })
})

describe('SectigoClient over real sockets', () => {
  const servers: Array<HttpServer | NetServer> = []
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      if ('closeAllConnections' in s) s.closeAllConnections()
      await new Promise((resolve) => s.close(resolve))
    }
  })

  async function listen<S extends HttpServer | NetServer>(server: S): Promise<string> {
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/products/`
  }

  /** A raw TCP server that counts connections and the bytes of each. */
  function rawServer(onConnection: (socket: Socket, received: () => string) => void) {
    const stats = { connections: 0 }
    const server = createNetServer((socket) => {
      stats.connections++
      let data = ''
      socket.on('data', (chunk) => {
        data += chunk.toString()
      })
      socket.on('error', () => undefined)
      onConnection(socket, () => data)
    })
    return { server, stats }
  }

  it('reports a refused connection as not sent, after the DCV retries', async () => {
    const server = createNetServer()
    const url = await listen(server)
    await new Promise((resolve) => server.close(resolve))
    servers.pop()
    const client = new SectigoClient(options({ baseUrl: url }))
    const dcv = newCallRecord('!AutoUpdateDCV')
    const failure = await failureOf(call(client, '!AutoUpdateDCV', [], dcv))
    expect(failure.kind).toBe('connect')
    expect(dcv.attempts).toHaveLength(3)
    expect(dcv.sent).toBe(false)
    const replacement = newCallRecord('!AutoReplaceMC')
    const replace = await failureOf(call(client, '!AutoReplaceMC', [], replacement))
    expect(replace.kind).toBe('connect')
    expect(replacement.attempts).toHaveLength(1)
    await client.close()
  })

  it('reports a reset after the request was written as unknown, and sends it once', async () => {
    const { server, stats } = rawServer((socket, received) => {
      socket.on('data', () => {
        if (received().includes('orderNumber=1')) socket.resetAndDestroy()
      })
    })
    const client = new SectigoClient(options({ baseUrl: await listen(server) }))
    const failure = await failureOf(call(client, '!AutoReplaceMC', [['orderNumber', '1']]))
    expect(failure.kind).toBe('lost')
    expect(failure.outcome).toBe('unknown')
    expect(stats.connections).toBe(1)
    await client.close()
  })

  it('reports a reset as soon as the connection opens as unknown for a replacement, never re-sent', async () => {
    const { server, stats } = rawServer((socket) => socket.resetAndDestroy())
    const client = new SectigoClient(options({ baseUrl: await listen(server) }))
    const failure = await failureOf(call(client, '!AutoReplaceMC', []))
    expect(['lost', 'connect']).toContain(failure.kind)
    expect(failure.kind === 'connect' ? 'not-sent' : 'unknown').toBe(failure.outcome)
    expect(stats.connections).toBe(1)
    await client.close()
  })

  it('times out slow headers within SECTIGO_TIMEOUT_MS', async () => {
    const { server, stats } = rawServer(() => undefined)
    const client = new SectigoClient(options({ baseUrl: await listen(server), timeoutMs: 300, connectTimeoutMs: 200 }))
    const started = Date.now()
    const failure = await failureOf(call(client, '!AutoUpdateDCV', []))
    expect(failure.kind).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(2000)
    expect(stats.connections).toBe(1)
    expect(problemForFailure(failure)).toMatchObject({ slug: 'upstream-timeout', status: 504, options: { outcome: 'unknown' } })
    await client.close()
  })

  it('times out a body that trickles past SECTIGO_TIMEOUT_MS', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('errorCode=0')
      const timer = setInterval(() => res.write('&x=1'), 50)
      res.on('close', () => clearInterval(timer))
    })
    const client = new SectigoClient(options({ baseUrl: await listen(server), timeoutMs: 300, connectTimeoutMs: 200 }))
    const failure = await failureOf(call(client, '!AutoReplaceMC', []))
    expect(failure.kind).toBe('timeout')
    await client.close()
  })

  it('reports a body cut off mid-way as lost', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
      res.write('errorCode=0&')
      setTimeout(() => res.destroy(), 20)
    })
    const client = new SectigoClient(options({ baseUrl: await listen(server) }))
    const failure = await failureOf(call(client, '!AutoReplaceMC', []))
    expect(failure.kind).toBe('lost')
    expect(failure.outcome).toBe('unknown')
    await client.close()
  })

  it('cuts off a reply larger than 1 MiB', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('errorCode=0&x=')
      const chunk = 'a'.repeat(64 * 1024)
      let sent = 0
      const pump = () => {
        while (sent < 40 && res.write(chunk)) sent++
        if (sent < 40) res.once('drain', pump)
        else res.end()
      }
      pump()
    })
    const client = new SectigoClient(options({ baseUrl: await listen(server) }))
    const failure = await failureOf(call(client, '!AutoReplaceMC', []))
    expect(failure.kind).toBe('too-large')
    await client.close()
  })

  it('reuses a keep-alive connection across calls', async () => {
    let connections = 0
    const server = createHttpServer((_req, res) => res.end('errorCode=0'))
    server.on('connection', () => connections++)
    const client = new SectigoClient(options({ baseUrl: await listen(server) }))
    // undici may open a second socket while the first is being released; it never opens one per call.
    for (let i = 0; i < 10; i++) await call(client, '!AutoUpdateDCV', [])
    expect(connections).toBeLessThanOrEqual(2)
    await client.close()
  })
})
