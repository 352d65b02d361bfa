import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { closeSync, constants, existsSync, mkdtempSync, openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { closedPort, startFakeSectigo, type FakeSectigo } from '../helpers/fake-sectigo.js'
import { captureLogs, type LogCapture } from '../helpers/log-capture.js'
import { startServer } from '../helpers/server-process.js'

const PASSWORD = 'pa55&word=%+ü'
const SUCCESS = 'errorCode=0&certificateStatus=Pending+Validation&replOrderNumber=3000001'
const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined)
})

async function fake(reply?: FakeSectigo['reply']): Promise<FakeSectigo> {
  const upstream = await startFakeSectigo(reply)
  closers.push(() => upstream.stop())
  return upstream
}

/** The whole service in-process, talking to `base` over real sockets. */
async function service(base: string, env: Record<string, string> = {}): Promise<{ app: App; logs: LogCapture }> {
  const config = loadConfig({
    SECTIGO_LOGIN_NAME: 'acme',
    SECTIGO_LOGIN_PASSWORD: PASSWORD,
    SECTIGO_BASE_URL: base,
    ALLOW_UNAUTHENTICATED: 'true',
    RATE_LIMIT_MAX: '100000',
    SECTIGO_CONNECT_TIMEOUT_MS: '100',
    ...env
  })
  const logs = captureLogs()
  const app = await buildApp(config, { logStream: logs, pressure: { maxEventLoopDelayMs: 60_000 } })
  await app.ready()
  closers.push(() => app.close())
  return { app, logs }
}

function replace(app: App, key?: string) {
  return app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: {}, headers: key ? { 'idempotency-key': key } : {} })
}

const replacements = (upstream: FakeSectigo) => upstream.posts.filter((p) => p.endpoint === '!AutoReplaceMC').length

describe('the call path over real sockets', () => {
  it('1. a call waiting for a connection is not timed as upstream time: every queued call is sent and answered', async () => {
    const upstream = await fake(() => ({ delayMs: 300, body: SUCCESS }))
    const { app } = await service(upstream.base, { SECTIGO_TIMEOUT_MS: '500', SECTIGO_MAX_CONNECTIONS: '1', SECTIGO_MAX_QUEUE: '10', SECTIGO_QUEUE_TIMEOUT_MS: '2000' })
    const answers = await Promise.all(['q1', 'q2', 'q3'].map((key) => replace(app, key)))
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200])
    expect(replacements(upstream)).toBe(3)
    expect(upstream.peakConcurrentPosts).toBe(1)
  })

  it('1. a call that never got a connection is 503 not sent, never 504 unknown, and its key is released', async () => {
    const upstream = await fake(() => ({ delayMs: 400, body: SUCCESS }))
    const { app } = await service(upstream.base, { SECTIGO_TIMEOUT_MS: '1000', SECTIGO_MAX_CONNECTIONS: '1', SECTIGO_MAX_QUEUE: '10', SECTIGO_QUEUE_TIMEOUT_MS: '200' })
    const [first, second] = await Promise.all([replace(app, 'w1'), replace(app, 'w2')])
    expect(first.statusCode).toBe(200)
    expect(second.statusCode).toBe(503)
    expect(second.json()).toMatchObject({ type: '/problems/upstream-unavailable' })
    expect(second.json().outcome).toBeUndefined()
    expect(second.json().detail).toMatch(/nothing was sent/)
    expect(second.headers['retry-after']).toBe('2')
    expect(replacements(upstream)).toBe(1)
    // Nothing was stored under w2: the retry goes through, once.
    const retry = await replace(app, 'w2')
    expect(retry.statusCode).toBe(200)
    expect(retry.headers['idempotent-replayed']).toBeUndefined()
    expect(replacements(upstream)).toBe(2)
  })

  it('1. against a hung upstream: the call on the wire is 504 unknown, the waiting one 503 and never written', async () => {
    const upstream = await fake(() => ({ hang: true }))
    const { app, logs } = await service(upstream.base, { SECTIGO_TIMEOUT_MS: '400', SECTIGO_MAX_CONNECTIONS: '1', SECTIGO_QUEUE_TIMEOUT_MS: '250' })
    const started = Date.now()
    const [onWire, waiting] = await Promise.all([replace(app, 'h1'), replace(app, 'h2')])
    expect(onWire.statusCode).toBe(504)
    expect(onWire.json().outcome).toBe('unknown')
    expect(waiting.statusCode).toBe(503)
    expect(waiting.json().outcome).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(1500)
    expect(replacements(upstream)).toBe(1)
    const calls = logs.records().filter((r) => r.sectigo).map((r) => r.sectigo)
    expect(calls).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'timeout', sent: true }), expect.objectContaining({ outcome: 'queue-timeout', sent: false, attempts: 0 })]))
  })

  it('2. SECTIGO_MAX_CONNECTIONS holds at every instant through timeouts, and /metrics agrees with the sockets', async () => {
    const upstream = await fake(() => ({ hang: true }))
    const { app } = await service(upstream.base, { SECTIGO_TIMEOUT_MS: '150', SECTIGO_MAX_CONNECTIONS: '2', SECTIGO_MAX_QUEUE: '100', SECTIGO_QUEUE_TIMEOUT_MS: '5000' })
    const calls = Array.from({ length: 12 }, () => app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' } }))
    await sleep(60)
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1])
    expect(value('sectigo_proxy_upstream_open_connections')).toBe(upstream.openSockets)
    expect(value('sectigo_proxy_upstream_active_calls')).toBe(2)
    expect(value('sectigo_proxy_upstream_queued_calls')).toBe(10)
    const answers = await Promise.all(calls)
    expect(answers.every((r) => r.statusCode === 504)).toBe(true)
    expect(upstream.posts).toHaveLength(12)
    expect(upstream.peakSockets).toBeLessThanOrEqual(2)
    expect(upstream.peakConcurrentPosts).toBeLessThanOrEqual(2)
  })

  it('3. a refused connection is 503 and not stored: with Sectigo back, the same key is sent once', async () => {
    const port = await closedPort()
    const { app } = await service(`http://127.0.0.1:${port}/products/`, { SECTIGO_CONNECT_TIMEOUT_MS: '300' })
    const refused = await replace(app, 'back-later')
    expect(refused.statusCode).toBe(503)
    expect(refused.json().detail).toMatch(/nothing was sent/)
    const upstream = await startFakeSectigo(() => ({ body: SUCCESS }), port)
    closers.push(() => upstream.stop())
    const retry = await replace(app, 'back-later')
    expect(retry.statusCode).toBe(200)
    expect(retry.headers['idempotent-replayed']).toBeUndefined()
    expect(replacements(upstream)).toBe(1)
    expect((await replace(app, 'back-later')).headers['idempotent-replayed']).toBe('true')
    expect(replacements(upstream)).toBe(1)
  })

  it('a read is retried after a timeout on the wire; a resend lost after writing is not, and is unknown', async () => {
    let reads = 0
    const upstream = await fake((endpoint) => {
      if (endpoint === '!GetMDCDomainDetails') return ++reads < 3 ? { hang: true } : { body: 'errorCode=0&1_domainName=mail.example.com&1_dcvMethod=EMAIL&1_dcvStatus=Validated' }
      return { hang: true }
    })
    const { app } = await service(upstream.base, { SECTIGO_TIMEOUT_MS: '200' })
    const read = await app.inject({ method: 'GET', url: '/orders/1000007/dcv' })
    expect(read.statusCode).toBe(200)
    expect(upstream.posts.filter((p) => p.endpoint === '!GetMDCDomainDetails')).toHaveLength(3)
    const resend = app.inject({ method: 'POST', url: '/orders/1000007/dcv/resend', payload: {} })
    await sleep(100)
    upstream.dropSockets(1)
    const answer = await resend
    expect(answer.statusCode).toBe(502)
    expect(answer.json().outcome).toBe('unknown')
    expect(upstream.posts.filter((p) => p.endpoint === '!ResendDCVEmail')).toHaveLength(1)
  })

  it('6. Sectigo\'s -42 changed nothing: the key is released and a retry gets through; a stored answer replays its Retry-After', async () => {
    let limited = true
    const upstream = await fake(() => ({ body: limited ? 'errorCode=-42&errorMessage=Call+limit+reached%2C+please+try+again+later' : SUCCESS }))
    const { app } = await service(upstream.base)
    const first = await replace(app, 'limit')
    expect(first.statusCode).toBe(503)
    expect(first.json()).toMatchObject({ type: '/problems/upstream-rate-limited', sectigo: { errorCode: -42 } })
    expect(first.headers['retry-after']).toBe('60')
    limited = false
    const retry = await replace(app, 'limit')
    expect(retry.statusCode).toBe(200)
    expect(replacements(upstream)).toBe(2)
  })

  it('6. a replay carries the original\'s Retry-After', async () => {
    const upstream = await fake(() => ({ hang: true }))
    const { app } = await service(upstream.base, { SECTIGO_TIMEOUT_MS: '150' })
    const first = await replace(app, 'unknown-once')
    expect(first.statusCode).toBe(504)
    const replayed = await replace(app, 'unknown-once')
    expect(replayed.headers['idempotent-replayed']).toBe('true')
    expect(replayed.statusCode).toBe(504)
    expect(replayed.headers['content-type']).toBe(first.headers['content-type'])
    expect(replacements(upstream)).toBe(1)
  })

  it('7. Sectigo echoing the password: scrubbed from the problem, the headers, the stored record and the log', async () => {
    const echo = (value: string) => `errorCode=-4&errorItem=loginPassword&errorMessage=${encodeURIComponent(`The value '${value}' of 'loginPassword' is invalid!`)}`
    const upstream = await fake(() => ({ body: echo(PASSWORD) }))
    const { app, logs } = await service(upstream.base)
    const first = await replace(app, 'echo')
    const replayed = await replace(app, 'echo')
    expect(replacements(upstream)).toBe(1)
    for (const res of [first, replayed]) {
      expect(res.statusCode).toBe(502)
      expect(res.json().sectigo.errorMessage).toContain('[redacted]')
      expect(res.body + JSON.stringify(res.headers)).not.toContain(PASSWORD)
      expect(res.body).not.toContain(encodeURIComponent(PASSWORD))
    }
    expect(logs.text()).not.toContain(PASSWORD)
  })

  it.each([
    ['lower-case hex', (pw: string) => encodeURIComponent(pw).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
    ['partly encoded', (pw: string) => pw.replace('&', '%26').replace('%', '%25')],
    ['letters needlessly encoded', (pw: string) => `%${pw.charCodeAt(0).toString(16)}%${pw.charCodeAt(1).toString(16)}${pw.slice(2)}`],
    ['encoded twice', (pw: string) => encodeURIComponent(encodeURIComponent(pw))],
    ['Unicode-escaped', (pw: string) => JSON.stringify(pw).slice(1, -1).replace('ü', '\\u00fc')],
    ['decomposed', (pw: string) => pw.normalize('NFD')]
  ])('7. an echo of the password %s is withheld too', async (_name, spell) => {
    // The reply's own form encoding is applied on top of the echo's spelling.
    const upstream = await fake(() => ({ body: `errorCode=-4&errorItem=loginPassword&errorMessage=${encodeURIComponent(`bad ${spell(PASSWORD)}`)}` }))
    const { app, logs } = await service(upstream.base)
    const res = await app.inject({ method: 'POST', url: '/orders/1000001/dcv', payload: { method: 'CNAME_CSR_HASH' } })
    expect(res.statusCode).toBe(502)
    const seen = res.body + JSON.stringify(res.headers) + logs.text()
    for (const form of [PASSWORD, PASSWORD.normalize('NFD'), encodeURIComponent(PASSWORD), encodeURIComponent(PASSWORD).toLowerCase()]) expect(seen).not.toContain(form)
    expect(res.json().sectigo.errorMessage).toBe('[redacted]')
  })

  it('7. the stored record in Redis holds no secret either', async (context) => {
    if (!process.env.REDIS_URL) return context.skip()
    const upstream = await fake(() => ({ body: `errorCode=-2&errorMessage=${encodeURIComponent(`'${PASSWORD}' is an unrecognized argument!`)}` }))
    const { app } = await service(upstream.base, { REDIS_URL: process.env.REDIS_URL })
    const key = `echo-${randomUUID()}`
    expect((await replace(app, key)).statusCode).toBe(502)
    const redis = new Redis(process.env.REDIS_URL)
    closers.push(() => redis.quit())
    // The record of this key (the store keeps keys hashed, by caller), not other runs' records.
    const stored = await redis.get(`sectigo-proxy:idem:anonymous:${createHash('sha256').update(key).digest('hex')}`)
    expect(stored).toContain('"state":"done"')
    expect(stored).toContain('[redacted]')
    expect(stored).not.toContain(PASSWORD)
    expect(stored).not.toContain(encodeURIComponent(PASSWORD))
  })
})

/** A Redis of the test's own on a free port, in a folder of its own, so it can be restarted. */
async function privateRedis(persist: boolean) {
  const port = await closedPort()
  const dir = mkdtempSync(join(tmpdir(), 'sectigo-proxy-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '']
  args.push('--appendonly', persist ? 'yes' : 'no')
  if (persist) args.push('--appendfsync', 'always')
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' })
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    probe.on('error', () => undefined)
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect()
        if ((await probe.ping()) === 'PONG') break
      } catch {
        await sleep(50)
      }
    }
    probe.disconnect()
  }
  const stop = async () => {
    if (!child || child.exitCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  await start()
  closers.push(stop)
  return { url: `redis://127.0.0.1:${port}`, restart: async () => (await stop(), await start()) }
}

function hasRedisServer(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, 'redis-server')))
}

describe.skipIf(!hasRedisServer())('4. a Redis that restarts', () => {
  it('without persistence: the service warns at startup and again when it sees the restart', async () => {
    const redis = await privateRedis(false)
    const upstream = await fake(() => ({ body: SUCCESS }))
    const { app, logs } = await service(upstream.base, { REDIS_URL: redis.url })
    // The check asks Redis once it is ready, beside startup: wait for its line (bounded).
    const warned = () => logs.records().some((r) => r.level === 'warn' && /redis keeps no append-only file/.test(String(r.msg)))
    for (let i = 0; i < 100 && !warned(); i++) await sleep(50)
    expect(warned()).toBe(true)
    expect((await replace(app, 'k')).statusCode).toBe(200)
    await redis.restart()
    for (let i = 0; i < 100 && !logs.text().includes('redis restarted'); i++) await sleep(50)
    expect(logs.records().some((r) => r.level === 'warn' && /redis restarted/.test(String(r.msg)))).toBe(true)
  })

  it('with the shipped persistence (append-only file): a key survives the restart and the replacement is sent once', async () => {
    const redis = await privateRedis(true)
    const upstream = await fake(() => ({ body: SUCCESS }))
    const a = await service(upstream.base, { REDIS_URL: redis.url })
    const b = await service(upstream.base, { REDIS_URL: redis.url })
    expect(a.logs.text()).not.toContain('append-only')
    expect((await replace(a.app, 'durable')).statusCode).toBe(200)
    await redis.restart()
    let again = await replace(b.app, 'durable')
    for (let i = 0; i < 50 && again.statusCode === 503; i++) {
      await sleep(100)
      again = await replace(b.app, 'durable')
    }
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(replacements(upstream)).toBe(1)
  })
})

describe('5. a retention shorter than a call', () => {
  it('is refused at startup, naming the variable', async () => {
    const run = startServer({ IDEMPOTENCY_TTL_SECONDS: '60', SECTIGO_TIMEOUT_MS: '120000' })
    await expect(run).rejects.toThrow(/IDEMPOTENCY_TTL_SECONDS must be at least 191/)
  })
})

/**
 * The server with its stdout on a pipe that is read only until it listens, then never again: a
 * stalled log shipper. (The address comes from stderr's copy of nothing: it is read from stdout
 * once, then the stream is paused with no listener, so Node stops reading at its buffer's mark.)
 */
async function startUnreadServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'ignore']
  })
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  const stdout = child.stdout
  const url = await new Promise<string>((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${seen}`)), 40_000)
    const onData = (chunk: Buffer) => {
      seen += chunk.toString()
      const match = /"msg":"Server listening at (http:\/\/[^\s"]+)/.exec(seen)
      if (!match?.[1]) return
      clearTimeout(timer)
      stdout.off('data', onData)
      stdout.pause()
      resolve(match[1])
    }
    stdout.on('data', onData)
    void exited.then((code) => reject(new Error(`server exited (${code}): ${seen}`)))
  })
  return { child, url, exited }
}

describe('8. shutdown always ends', () => {
  it('exits within the grace period while stdout is not being read, and counts what it dropped', { timeout: 90_000 }, async () => {
    const upstream = await fake(() => ({ delayMs: 5, body: SUCCESS }))
    const proc = await startUnreadServer({
      SECTIGO_LOGIN_NAME: 'acme',
      SECTIGO_LOGIN_PASSWORD: PASSWORD,
      SECTIGO_BASE_URL: upstream.base,
      ALLOW_UNAUTHENTICATED: 'true',
      RATE_LIMIT_MAX: '1000000',
      SHUTDOWN_GRACE_MS: '1500',
      LOG_BUFFER_BYTES: '65536'
    })
    closers.push(async () => proc.child.kill('SIGKILL'))
    // Keep 16 callers busy until the unread lines have overflowed the pipe, Node's read buffer and
    // LOG_BUFFER_BYTES (bounded at 20 s): every call still succeeds, and the drop is counted.
    const dropped = async () => {
      const metrics = await (await request(`${proc.url}/metrics`)).body.text()
      return Number(/^sectigo_proxy_log_lines_dropped_total (\d+)/m.exec(metrics)?.[1])
    }
    let answered = 0
    let failed = 0
    const statuses = new Set<string>()
    let overflowed = false
    const until = Date.now() + 20_000
    await Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        for (let round = 1; !overflowed && Date.now() < until; round++) {
          const res = await request(`${proc.url}/orders/2000001/replacement`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
          await res.body.text()
          if (res.statusCode === 200) answered++
          else {
            failed++
            statuses.add(`${res.statusCode}`)
          }
          if (worker === 0 && round % 10 === 0 && (await dropped()) > 0) overflowed = true
        }
      })
    )
    expect([...statuses]).toEqual([])
    expect(failed).toBe(0)
    expect(overflowed).toBe(true)
    expect(answered).toBeGreaterThan(0)
    const stopAt = Date.now()
    proc.child.kill('SIGTERM')
    const code = await Promise.race([proc.exited, sleep(8000).then(() => 'still running')])
    expect(code).not.toBe('still running')
    expect(Date.now() - stopAt).toBeLessThan(1500 + 2000 + 2000)
  })

  it('exits in time when stdout is a blocking pipe (a FIFO) whose reader stopped reading', { timeout: 90_000 }, async () => {
    // A pipe opened by name is in blocking mode, as a shell's `> >(reader)` or a log shipper's FIFO:
    // a thread-pool write to it blocks inside write(2), and Node's exit would wait for that thread.
    const dir = mkdtempSync(join(tmpdir(), 'sectigo-proxy-fifo-'))
    const fifo = join(dir, 'stdout')
    execFileSync('mkfifo', [fifo])
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writer = openSync(fifo, 'w')
    closers.push(async () => (closeSync(reader), closeSync(writer)))
    const upstream = await fake(() => ({ hang: true }))
    const port = await closedPort()
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_MS: '1500',
        RATE_LIMIT_MAX: '1000000',
        SECTIGO_LOGIN_NAME: 'acme',
        SECTIGO_LOGIN_PASSWORD: PASSWORD,
        SECTIGO_BASE_URL: upstream.base,
        ALLOW_UNAUTHENTICATED: 'true'
      },
      stdio: ['ignore', writer, 'ignore']
    })
    const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
    closers.push(async () => child.kill('SIGKILL'))
    const url = `http://127.0.0.1:${port}`
    for (let i = 0; i < 400; i++) {
      const up = await request(`${url}/healthz`).then((r) => (r.body.dump(), r.statusCode === 200), () => false)
      if (up) break
      await sleep(100)
    }
    // Long request ids make long lines: a few hundred requests fill the pipe's 64 KiB and more.
    const id = 'x'.repeat(128)
    for (let i = 0; i < 600; i++) {
      const res = await request(`${url}/healthz`, { headers: { 'x-request-id': id } })
      expect(res.statusCode).toBe(200)
      await res.body.dump()
    }
    // Calls on the wire to a Sectigo that never answers: the grace runs out and they are cut.
    const calls = Array.from({ length: 3 }, () =>
      request(`${url}/orders/2000001/replacement`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(
        async (res) => (await res.body.dump(), res.statusCode),
        () => 0
      )
    )
    while (upstream.posts.length < 3) await sleep(20)
    const stopAt = Date.now()
    child.kill('SIGTERM')
    expect(await Promise.race([exited, sleep(10_000).then(() => 'still running')])).toBe(1)
    expect(Date.now() - stopAt).toBeLessThan(1500 + 2000 + 1000)
    // Cut short, the callers still got an answer: the call may have reached Sectigo.
    expect(await Promise.all(calls)).toEqual([502, 502, 502])
  })

  it('keeps answering when its stdout reader has gone (EPIPE), and still drains on SIGTERM', { timeout: 60_000 }, async () => {
    const upstream = await fake(() => ({ body: SUCCESS }))
    const proc = await startServer({
      SECTIGO_LOGIN_NAME: 'acme',
      SECTIGO_LOGIN_PASSWORD: PASSWORD,
      SECTIGO_BASE_URL: upstream.base,
      ALLOW_UNAUTHENTICATED: 'true',
      SHUTDOWN_GRACE_MS: '1500'
    })
    closers.push(async () => proc.child.kill('SIGKILL'))
    proc.child.stdout?.destroy()
    for (let i = 0; i < 20; i++) {
      const res = await request(`${proc.url}/orders/2000001/replacement`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      expect(res.statusCode).toBe(200)
      await res.body.text()
    }
    expect(proc.child.exitCode).toBeNull()
    proc.child.kill('SIGTERM')
    expect(await Promise.race([proc.exited, sleep(6000).then(() => 'still running')])).toBe(0)
  })
})
