import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { captureLogs } from '../helpers/log-capture.js'
import { startServer, type ServerProcess } from '../helpers/server-process.js'

const TIMEOUT_MS = 400
const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function listen(server: HttpServer | NetServer, host = '127.0.0.1'): Promise<number> {
  server.listen(0, host)
  await once(server, 'listening')
  closers.push(async () => {
    if ('closeAllConnections' in server) server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
  return (server.address() as AddressInfo).port
}

type Behaviour = 'reset-on-connect' | 'reset-after-request' | 'slow-headers' | 'body-cut' | 'trickle' | 'http-500' | 'huge' | 'garbage'

/** A Sectigo that misbehaves in one way; counts connections and complete requests. */
async function faultyUpstream(behaviour: Behaviour) {
  const stats = { connections: 0, requests: 0 }
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    stats.connections++
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
    if (behaviour === 'reset-on-connect') return void socket.resetAndDestroy()
    let data = ''
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
      const end = data.indexOf('\r\n\r\n')
      const length = Number(/content-length: *(\d+)/i.exec(data)?.[1] ?? 0)
      if (end === -1 || data.length < end + 4 + length) return
      stats.requests++
      data = ''
      respond(socket, behaviour)
    })
  })
  const port = await listen(server)
  closers.push(async () => {
    for (const s of sockets) s.destroy()
  })
  return { stats, base: `http://127.0.0.1:${port}/products/` }
}

function respond(socket: Socket, behaviour: Behaviour) {
  const head = (status: string, headers: string) => socket.write(`HTTP/1.1 ${status}\r\n${headers}\r\n`)
  switch (behaviour) {
    case 'reset-after-request':
      return void socket.resetAndDestroy()
    case 'slow-headers':
      return
    case 'body-cut':
      head('200 OK', 'content-type: text/plain\r\ncontent-length: 100\r\n')
      socket.write('errorCode=0&')
      return void setTimeout(() => socket.destroy(), 20)
    case 'trickle': {
      head('200 OK', 'content-type: text/plain\r\ntransfer-encoding: chunked\r\n')
      const timer = setInterval(() => socket.write('1\r\nx\r\n'), 50)
      return void socket.on('close', () => clearInterval(timer))
    }
    case 'http-500': {
      const page = '<html><body><h1>500 Internal Server Error</h1></body></html>'
      head('500 Internal Server Error', `content-type: text/html\r\ncontent-length: ${page.length}\r\n`)
      return void socket.write(page)
    }
    case 'huge': {
      head('200 OK', 'content-type: text/plain\r\ncontent-length: 3145728\r\n')
      socket.write('errorCode=0&x=')
      const chunk = Buffer.alloc(64 * 1024, 'a')
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk));
      }
      socket.on('drain', pump)
      return pump()
    }
    case 'garbage': {
      const body = '\u0000\u00ff\u0013garbage{"errorCode":0}'
      head('200 OK', `content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body, 'latin1')}\r\n`)
      return void socket.write(body, 'latin1')
    }
    default:
      return
  }
}

async function proxyTo(base: string): Promise<{ app: App; url: string; logs: ReturnType<typeof captureLogs> }> {
  const config = loadConfig({
    SECTIGO_LOGIN_NAME: 'acme',
    SECTIGO_LOGIN_PASSWORD: 'secret',
    SECTIGO_BASE_URL: base,
    ALLOW_UNAUTHENTICATED: 'true',
    SECTIGO_TIMEOUT_MS: String(TIMEOUT_MS),
    SECTIGO_CONNECT_TIMEOUT_MS: '200'
  })
  const logs = captureLogs()
  const app = await buildApp(config, { logStream: logs, pressure: { maxEventLoopDelayMs: 60_000 } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  closers.push(() => app.close())
  return { app, logs, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

async function post(url: string, path: string, body: unknown) {
  const started = Date.now()
  const res = await request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = (await res.body.json()) as { type?: string; outcome?: string; status?: number }
  return { status: res.statusCode, json, ms: Date.now() - started }
}

describe('upstream faults, end to end over real sockets', () => {
  it.each([
    ['reset-after-request', 502, 'upstream-bad-response', 'unknown'],
    ['slow-headers', 504, 'upstream-timeout', 'unknown'],
    ['body-cut', 502, 'upstream-bad-response', 'unknown'],
    ['trickle', 504, 'upstream-timeout', 'unknown'],
    ['http-500', 502, 'upstream-bad-response', 'unknown'],
    ['huge', 502, 'upstream-bad-response', 'unknown'],
    ['garbage', 502, 'upstream-bad-response', 'unknown']
  ] as const)('%s: %i %s, within the timeout, a replacement sent once', async (behaviour, status, slug, outcome) => {
    const upstream = await faultyUpstream(behaviour)
    const { url } = await proxyTo(upstream.base)
    const res = await post(url, '/orders/2000001/replacement', {})
    expect(res.status).toBe(status)
    expect(res.json.type).toBe(`/problems/${slug}`)
    expect(res.json.outcome).toBe(outcome)
    expect(res.ms).toBeLessThan(TIMEOUT_MS + 1500)
    expect(upstream.stats.requests).toBe(1)
    expect(upstream.stats.connections).toBe(1)
    expect((await request(`${url}/healthz`)).statusCode).toBe(200)
  })

  it('reset as soon as the connection opens: a replacement is not retried and the outcome is not claimed', async () => {
    const upstream = await faultyUpstream('reset-on-connect')
    const { url } = await proxyTo(upstream.base)
    const res = await post(url, '/orders/2000001/replacement', {})
    expect([502, 503]).toContain(res.status)
    // Either the service saw the reset while connecting (not sent) or after (may have reached Sectigo).
    if (res.status === 502) expect(res.json.outcome).toBe('unknown')
    expect(upstream.stats.connections).toBe(1)
  })

  it('a refused connection: 503 upstream-unavailable, nothing sent; AutoUpdateDCV tried three times', async () => {
    const closed = createNetServer()
    const port = await listen(closed)
    await new Promise((r) => closed.close(r))
    const { url, logs } = await proxyTo(`http://127.0.0.1:${port}/products/`)
    const attempts = (endpoint: string) =>
      logs
        .records()
        .map((r) => r.sectigo as { endpoint?: string; attempts?: number; sent?: boolean } | undefined)
        .filter((call) => call?.endpoint === endpoint && call.sent === false)
        .reduce((sum, call) => sum + (call?.attempts ?? 0), 0)
    for (const path of ['/orders/2000001/replacement', '/orders/1/dcv']) {
      const res = await post(url, path, path.endsWith('dcv') ? { method: 'CNAME_CSR_HASH' } : {})
      expect(res.status).toBe(503)
      expect(res.json.type).toBe('/problems/upstream-unavailable')
      expect(res.json.outcome).toBeUndefined()
    }
    expect(attempts('!AutoReplaceMC')).toBe(1)
    expect(attempts('!AutoUpdateDCV')).toBe(3)
  })

  it('the DCV route sends a request once when the connection was lost after writing it', async () => {
    const upstream = await faultyUpstream('reset-after-request')
    const { url } = await proxyTo(upstream.base)
    const res = await post(url, '/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.status).toBe(502)
    expect(upstream.stats.requests).toBe(1)
  })
})

describe('HTTPS_PROXY egress', () => {
  let dir: string
  let certPath: string
  let key: Buffer
  let cert: Buffer
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sectigo-proxy-tls-'))
    certPath = join(dir, 'cert.pem')
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', certPath, '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'
    ], { stdio: 'ignore' })
    key = readFileSync(join(dir, 'key.pem'))
    cert = readFileSync(certPath)
  })
  let proc: ServerProcess | undefined
  afterAll(() => {
    proc?.child.kill('SIGKILL')
  })

  /** An https "Sectigo" on localhost and a CONNECT proxy that records its tunnels. */
  async function fixtures(proxyAnswer = 200) {
    const upstream = { requests: 0 }
    const https = createHttpsServer({ key, cert }, (req, res) => {
      upstream.requests++
      req.resume()
      res.end('errorCode=0')
    })
    const httpsPort = await listen(https)
    const tunnels: string[] = []
    const proxy = createHttpServer()
    proxy.on('connect', (req, client: Socket, head: Buffer) => {
      tunnels.push(String(req.url))
      if (proxyAnswer !== 200) {
        client.end(`HTTP/1.1 ${proxyAnswer} Forbidden\r\n\r\n`)
        return
      }
      const [host, port] = String(req.url).split(':')
      const target = connect(Number(port), host === 'localhost' ? '127.0.0.1' : String(host), () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        target.write(head)
        target.pipe(client)
        client.pipe(target)
      })
      target.on('error', () => client.destroy())
      client.on('error', () => target.destroy())
    })
    const proxyPort = await listen(proxy)
    return { upstream, tunnels, httpsPort, proxyPort }
  }

  const env = (httpsPort: number, proxyPort: number, extra: Record<string, string> = {}) => ({
    SECTIGO_LOGIN_NAME: 'acme',
    SECTIGO_LOGIN_PASSWORD: 'secret',
    SECTIGO_BASE_URL: `https://localhost:${httpsPort}/products/`,
    HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`,
    ALLOW_UNAUTHENTICATED: 'true',
    NODE_EXTRA_CA_CERTS: certPath,
    ...extra
  })

  async function run(e: Record<string, string>) {
    proc = await startServer(e)
    const res = await post(proc.url, '/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    proc.child.kill('SIGTERM')
    await proc.exited
    return res
  }

  it('tunnels every upstream call through the egress proxy', async () => {
    const f = await fixtures()
    const res = await run(env(f.httpsPort, f.proxyPort))
    expect(res.status).toBe(200)
    expect(f.tunnels).toEqual([`localhost:${f.httpsPort}`])
    expect(f.upstream.requests).toBe(1)
  })

  it('goes direct for hosts in NO_PROXY', async () => {
    const f = await fixtures()
    const res = await run(env(f.httpsPort, f.proxyPort, { NO_PROXY: 'localhost' }))
    expect(res.status).toBe(200)
    expect(f.tunnels).toEqual([])
    expect(f.upstream.requests).toBe(1)
  })

  it('reports a proxy that refuses the tunnel as 503 upstream-unavailable: nothing reached Sectigo', async () => {
    const f = await fixtures(403)
    const res = await run(env(f.httpsPort, f.proxyPort))
    expect(res.status).toBe(503)
    expect(res.json.type).toBe('/problems/upstream-unavailable')
    expect(f.upstream.requests).toBe(0)
  })
})
