import type { Socket } from 'node:net'
import { Pool, buildConnector, type Dispatcher } from 'undici'

export interface UpstreamPoolOptions {
  /** The Sectigo base URL; its origin is the only one the pool serves. */
  baseUrl: string
  maxConnections: number
  connectTimeoutMs: number
  httpsProxy?: string
  noProxy?: string
}

export interface UpstreamPool {
  dispatcher: Dispatcher
  /** Sockets to Sectigo (or to the egress proxy, one per tunnel) that are open right now. */
  readonly openSockets: number
}

/**
 * One undici Pool for Sectigo's origin, never an Agent: an Agent drops an origin's pool when its
 * connected count reaches zero and builds a new one while the old still drains, so the
 * connection limit stops being a bound after timeouts. With a Pool, `maxConnections` sockets is
 * a hard limit at every instant; every socket the connector opens is counted until it closes.
 */
export function buildUpstreamPool(options: UpstreamPoolOptions): UpstreamPool {
  const origin = new URL(options.baseUrl)
  const direct = buildConnector({ timeout: options.connectTimeoutMs })
  const proxy = options.httpsProxy && proxyApplies(origin, options.noProxy) ? tunnelConnector(options.httpsProxy, options.connectTimeoutMs) : undefined
  const base = proxy?.connect ?? direct

  let open = 0
  const connect: buildConnector.connector = (opts, callback) => {
    base(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null)
      open++
      socket.once('close', () => open--)
      callback(null, socket)
    })
  }
  const pool = new Pool(origin.origin, {
    connections: options.maxConnections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect
  })
  if (proxy) {
    const close = pool.close.bind(pool)
    const destroy = pool.destroy.bind(pool)
    Object.assign(pool, {
      close: async () => Promise.all([close(), proxy.close()]),
      destroy: async (err?: Error) => Promise.all([destroy(err ?? null), proxy.close()])
    })
  }
  return {
    dispatcher: pool,
    get openSockets() {
      return open
    }
  }
}

/**
 * A CONNECT tunnel through the egress proxy, then TLS to Sectigo over it: what undici's ProxyAgent
 * does for each new connection, without the Agent in front of the pool.
 */
function tunnelConnector(proxyUrl: string, timeoutMs: number): { connect: buildConnector.connector; close: () => Promise<void> } {
  const url = new URL(proxyUrl)
  const headers: Record<string, string> = {}
  if (url.username || url.password) {
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
  }
  const proxyClient = new Pool(url.origin, { connect: { timeout: timeoutMs } })
  const overTunnel = buildConnector({ timeout: timeoutMs })
  const connect: buildConnector.connector = (opts, callback) => {
    const port = opts.port || (opts.protocol === 'https:' ? '443' : '80')
    const authority = `${opts.hostname}:${port}`
    proxyClient
      .connect({ path: authority, headers: { ...headers, host: authority }, signal: AbortSignal.timeout(timeoutMs) })
      .then(({ socket, statusCode }) => {
        if (statusCode !== 200) {
          socket.on('error', () => undefined).destroy()
          return callback(new TunnelRefusedError(statusCode), null)
        }
        if (opts.protocol !== 'https:') return callback(null, socket as Socket)
        overTunnel({ ...opts, httpSocket: socket as Socket }, callback)
      })
      .catch((err: Error) => callback(err, null))
  }
  return { connect, close: () => proxyClient.close() }
}

/** The proxy answered the CONNECT with another status: Sectigo was never reached. */
export class TunnelRefusedError extends Error {
  readonly code = 'UND_PROXY_TUNNEL_REFUSED'
  constructor(readonly statusCode: number) {
    super(`the egress proxy refused the tunnel (HTTP ${statusCode})`)
    this.name = 'TunnelRefusedError'
  }
}

/**
 * NO_PROXY as curl reads it: comma- or space-separated host names (a leading `.` or `*.` is
 * optional and matches subdomains), an optional `:port`, or `*` for every host.
 */
export function proxyApplies(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return true
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase()
    if (!entry) continue
    if (entry === '*') return false
    const match = /^(.*?)(?::(\d+))?$/.exec(entry)
    const name = (match?.[1] ?? entry).replace(/^\*?\./, '').replace(/^\[|\]$/g, '')
    const entryPort = match?.[2]
    if (entryPort && entryPort !== port) continue
    if (host === name || host.endsWith(`.${name}`)) return false
  }
  return true
}
