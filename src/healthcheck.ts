// `node dist/healthcheck.js [url]`: the image's HEALTHCHECK, so the image needs no curl or wget.
// Exit 0 when the URL answers 2xx within the timeout, 1 otherwise (Docker reserves 2).
// Without a URL it asks the service's own /healthz; the compose simulator passes its URL.

import { realpathSync } from 'node:fs'
import { request } from 'node:http'
import { pathToFileURL } from 'node:url'

export const DEFAULT_TIMEOUT_MS = 3000

type Env = Readonly<Record<string, string | undefined>>

/** Addresses that mean "every interface": the check then goes through loopback. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0'])

/** The URL to ask: the argument when given, else /healthz on the service's own HOST and PORT. */
export function healthcheckUrl(args: readonly string[], env: Env): URL {
  const [arg] = args
  if (arg !== undefined) {
    let url: URL
    try {
      url = new URL(arg)
    } catch {
      throw new Error(`not a URL: ${arg}`)
    }
    if (url.protocol !== 'http:') throw new Error(`only http: URLs are checked, not ${url.protocol}`)
    return url
  }
  const port = env.PORT === undefined || env.PORT === '' ? '3000' : env.PORT
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new Error('PORT is not a port number')
  const host = env.HOST === undefined || env.HOST === '' || WILDCARD_HOSTS.has(env.HOST) ? '127.0.0.1' : env.HOST
  const literal = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return new URL(`http://${literal}:${port}/healthz`)
}

export interface CheckResult {
  healthy: boolean
  /** One line for `docker inspect`'s health log. */
  message: string
}

/** One GET; healthy on a 2xx status. Never throws and never waits longer than `timeoutMs`. */
export function check(url: URL, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CheckResult> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      const status = res.statusCode ?? 0
      res.resume()
      res.on('end', () => {
        resolve({ healthy: status >= 200 && status < 300, message: `${url.href} answered ${status}` })
      })
      res.on('error', (err) => resolve({ healthy: false, message: `${url.href}: ${err.message}` }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (err) => resolve({ healthy: false, message: `${url.href}: ${err.message}` }))
    req.end()
  })
}

async function main(): Promise<void> {
  let url: URL
  try {
    url = healthcheckUrl(process.argv.slice(2), process.env)
  } catch (err) {
    process.stderr.write(`healthcheck: ${(err as Error).message}\n`)
    process.exit(1)
  }
  const result = await check(url)
  const stream = result.healthy ? process.stdout : process.stderr
  stream.write(`healthcheck: ${result.healthy ? 'healthy' : 'unhealthy'}: ${result.message}\n`)
  process.exit(result.healthy ? 0 : 1)
}

function isEntryPoint(): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href
  } catch {
    return false
  }
}

// Run only as the entry point, so tests can import the helpers.
if (isEntryPoint()) await main()
