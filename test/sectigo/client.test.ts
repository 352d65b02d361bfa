import { once } from 'node:events'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import pino from 'pino'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { SectigoClient, type AttemptRecord, type SectigoClientOptions } from '../../src/sectigo/client.js'
import { UpstreamFailure, problemForFailure } from '../../src/sectigo/upstream-failure.js'
import { captureLogs } from '../helpers/log-capture.js'

const PASSWORD = 'pw&loginName=evil'

function makeLog() {
  const logs = captureLogs()
  return { logs, log: pino({ level: 'debug' }, logs) }
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
    const { log } = makeLog()
    const result = await client.call('!AutoUpdateDCV', [['orderNumber', '1234567'], ['domainName', 'a&b=c']], log)
    expect(result.reply.errorCode).toBe(0)
    expect(result.attempts).toBe(1)
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

  it('writes one log line per attempt with endpoint, duration, errorCode and attempt, never the body', async () => {
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(connectError())
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=-47&errorMessage=x')
    const client = new SectigoClient(options({ dispatcher: agent }))
    const { log, logs } = makeLog()
    await client.call('!AutoUpdateDCV', [['orderNumber', '1']], log)
    const lines = logs.records().filter((r) => r.sectigo)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ sectigo: { endpoint: '!AutoUpdateDCV', attempt: 1, outcome: 'connect', code: 'ECONNREFUSED' } })
    expect(lines[1]).toMatchObject({ sectigo: { endpoint: '!AutoUpdateDCV', attempt: 2, outcome: 'reply', errorCode: -47, statusCode: 200 } })
    expect(typeof (lines[1]?.sectigo as { durationMs: unknown }).durationMs).toBe('number')
    expect(logs.text()).not.toContain('pw&')
    expect(logs.text()).not.toContain('loginPassword')
  })

  it('retries AutoUpdateDCV at most twice, only for connect failures', async () => {
    const { agent, pool } = mock()
    for (let i = 0; i < 3; i++) pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(connectError())
    const client = new SectigoClient(options({ dispatcher: agent }))
    const failure = await failureOf(client.call('!AutoUpdateDCV', [], makeLog().log))
    expect(failure.kind).toBe('connect')
    expect(failure.outcome).toBe('not-sent')
    agent.assertNoPendingInterceptors()
    expect(problemForFailure(failure).slug).toBe('upstream-unavailable')
  })

  it('records every attempt of a call, failed ones too, with its start, duration, outcome and whether it was sent', async () => {
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(connectError())
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=-14&errorMessage=x')
    const client = new SectigoClient(options({ dispatcher: agent }))
    const attempts: AttemptRecord[] = []
    const before = Date.now()
    await client.call('!AutoUpdateDCV', [], makeLog().log, undefined, attempts)
    expect(attempts.map(({ attempt, outcome, sent, errorCode }) => ({ attempt, outcome, sent, errorCode }))).toEqual([
      { attempt: 1, outcome: 'connect', sent: false, errorCode: undefined },
      { attempt: 2, outcome: 'reply', sent: true, errorCode: -14 }
    ])
    for (const record of attempts) {
      expect(record.endpoint).toBe('!AutoUpdateDCV')
      expect(record.startedAt).toBeGreaterThanOrEqual(before - 1)
      expect(record.startedAt).toBeLessThanOrEqual(Date.now() + 1)
      expect(record.durationMs).toBeGreaterThanOrEqual(0)
      expect(record.queuedMs).toBe(0)
    }
    const [first, second] = attempts as [AttemptRecord, AttemptRecord]
    expect(second.startedAt).toBeGreaterThanOrEqual(first.startedAt + first.durationMs - 1)

    const failed: AttemptRecord[] = []
    pool.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).replyWithError(socketError())
    await failureOf(client.call('!AutoReplaceMC', [], makeLog().log, undefined, failed))
    expect(failed.map(({ outcome, sent }) => ({ outcome, sent }))).toEqual([{ outcome: 'lost', sent: true }])
  })

  it('does not retry AutoUpdateDCV once the connection was up', async () => {
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(socketError())
    pool.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0')
    const client = new SectigoClient(options({ dispatcher: agent }))
    const failure = await failureOf(client.call('!AutoUpdateDCV', [], makeLog().log))
    expect(failure.kind).toBe('lost')
    expect(failure.outcome).toBe('unknown')
    expect(agent.pendingInterceptors()).toHaveLength(1)
    const problem = problemForFailure(failure)
    expect(problem.slug).toBe('upstream-bad-response')
    expect(problem.options.outcome).toBe('unknown')
  })

  it('never sends AutoReplaceMC twice, even after a connect failure', async () => {
    const { agent, pool } = mock()
    pool.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).replyWithError(connectError())
    pool.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).reply(200, 'errorCode=0')
    const client = new SectigoClient(options({ dispatcher: agent }))
    const failure = await failureOf(client.call('!AutoReplaceMC', [], makeLog().log))
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
    const failure = await failureOf(client.call('!AutoReplaceMC', [], makeLog().log))
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
    const { log } = makeLog()
    const calls = [1, 2, 3].map(() => client.call('!AutoUpdateDCV', [], log).then(() => 'ok', (e: UpstreamFailure) => e.kind))
    expect(client.inFlight).toBe(2)
    expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'queue-full'])
    expect(client.inFlight).toBe(0)
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
    const { log, logs } = makeLog()
    const failure = await failureOf(client.call('!AutoUpdateDCV', [], log))
    expect(failure.kind).toBe('connect')
    expect(logs.records().filter((r) => r.sectigo)).toHaveLength(3)
    const replace = await failureOf(client.call('!AutoReplaceMC', [], log))
    expect(replace.kind).toBe('connect')
    expect(logs.records().filter((r) => r.sectigo)).toHaveLength(4)
    await client.close()
  })

  it('reports a reset after the request was written as unknown, and sends it once', async () => {
    const { server, stats } = rawServer((socket, received) => {
      socket.on('data', () => {
        if (received().includes('orderNumber=1')) socket.resetAndDestroy()
      })
    })
    const client = new SectigoClient(options({ baseUrl: await listen(server) }))
    const failure = await failureOf(client.call('!AutoReplaceMC', [['orderNumber', '1']], makeLog().log))
    expect(failure.kind).toBe('lost')
    expect(failure.outcome).toBe('unknown')
    expect(stats.connections).toBe(1)
    await client.close()
  })

  it('reports a reset as soon as the connection opens as unknown for a replacement, never re-sent', async () => {
    const { server, stats } = rawServer((socket) => socket.resetAndDestroy())
    const client = new SectigoClient(options({ baseUrl: await listen(server) }))
    const failure = await failureOf(client.call('!AutoReplaceMC', [], makeLog().log))
    expect(['lost', 'connect']).toContain(failure.kind)
    expect(failure.kind === 'connect' ? 'not-sent' : 'unknown').toBe(failure.outcome)
    expect(stats.connections).toBe(1)
    await client.close()
  })

  it('times out slow headers within SECTIGO_TIMEOUT_MS', async () => {
    const { server, stats } = rawServer(() => undefined)
    const client = new SectigoClient(options({ baseUrl: await listen(server), timeoutMs: 300, connectTimeoutMs: 200 }))
    const started = Date.now()
    const failure = await failureOf(client.call('!AutoUpdateDCV', [], makeLog().log))
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
    const failure = await failureOf(client.call('!AutoReplaceMC', [], makeLog().log))
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
    const failure = await failureOf(client.call('!AutoReplaceMC', [], makeLog().log))
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
    const failure = await failureOf(client.call('!AutoReplaceMC', [], makeLog().log))
    expect(failure.kind).toBe('too-large')
    await client.close()
  })

  it('reuses a keep-alive connection across calls', async () => {
    let connections = 0
    const server = createHttpServer((_req, res) => res.end('errorCode=0'))
    server.on('connection', () => connections++)
    const client = new SectigoClient(options({ baseUrl: await listen(server) }))
    const { log } = makeLog()
    // undici may open a second socket while the first is being released; it never opens one per call.
    for (let i = 0; i < 10; i++) await client.call('!AutoUpdateDCV', [], log)
    expect(connections).toBeLessThanOrEqual(2)
    await client.close()
  })
})
