import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import pino, { type DestinationStream, type Logger } from 'pino'

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

const REDACTED = '[redacted]'

/**
 * The service's pino logger. Besides path redaction, every finished line is scrubbed of the
 * configured secrets in plain and URL-encoded form, so that no log call anywhere can print them.
 */
export function createLogger(options: { level: string; secrets: readonly string[] }, stream?: DestinationStream): Logger {
  const secrets = expandSecrets(options.secrets)
  return pino(
    {
      level: options.level,
      base: { service: 'sectigo-proxy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      ...(secrets.length > 0 ? { hooks: { streamWrite: (line: string) => scrub(line, secrets) } } : {})
    },
    stream ?? pino.destination({ dest: 1, sync: false })
  )
}

function expandSecrets(values: readonly string[]): string[] {
  const out = new Set<string>()
  for (const value of values) {
    // Very short values would scrub ordinary words; secrets are never that short in practice.
    if (value.length < 4) continue
    out.add(value)
    out.add(encodeURIComponent(value))
    out.add(JSON.stringify(value).slice(1, -1))
  }
  return [...out].sort((a, b) => b.length - a.length)
}

function scrub(line: string, secrets: readonly string[]): string {
  let out = line
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED)
  }
  return out
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Keeps a caller's X-Request-Id when it is safe to echo and log, else makes a new one. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id']
  if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming
  return randomUUID()
}
