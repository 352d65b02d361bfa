import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import pino, { type DestinationStream, type Logger } from 'pino'
import { REDACTED, type Scrub } from '../security/scrubber.js'
import { createLogDestination } from './log-destination.js'

/**
 * Paths that would hold a credential if a log call ever passed one. Explicit paths only: pino runs
 * a wildcard (`*.x`) path over every member of every line, which cost a quarter of all the
 * service allocated. The configured password is scrubbed from every line anyway (below), and API
 * keys are never logged: only their hashes are configured and the Authorization header is redacted.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'loginPassword',
  'fields.loginPassword',
  'password',
  'apiKey'
]

let stampedAt = 0
let stamp = ''

/** pino's isoTime, made once per millisecond: under load many lines share one. */
function cachedIsoTime(): string {
  const now = Date.now()
  if (now !== stampedAt) {
    stampedAt = now
    stamp = `,"time":"${new Date(now).toISOString()}"`
  }
  return stamp
}

/**
 * The service's pino logger. Besides path redaction, every finished line goes through `scrub`
 * (the configured secrets in every spelling), so that no log call anywhere can print them.
 */
export function createLogger(options: { level: string; scrub?: Scrub }, stream: DestinationStream = createLogDestination({ maxBytes: 8 * 1024 * 1024 }).stream): Logger {
  const { scrub } = options
  return pino(
    {
      level: options.level,
      base: { service: 'sectigo-proxy' },
      timestamp: cachedIsoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      ...(scrub ? { hooks: { streamWrite: scrub } } : {})
    },
    stream
  )
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Keeps a caller's X-Request-Id when it is safe to echo and log, else makes a new one. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id']
  if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming
  return randomUUID()
}
