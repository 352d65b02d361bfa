import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEM_TYPES, type ProblemSlug } from '../problems/problem-types.js'

// Errors answered before any route runs: Fastify's "frameworkErrors" (a path that cannot be
// decoded) and Node's HTTP parser errors (a lower-case method, raw bytes in the path,
// Content-Length with Transfer-Encoding, headers too large, a slow client). Both would otherwise
// answer with their own plain JSON; here they are problems like every other error.

const MEDIA_TYPE = 'application/problem+json; charset=utf-8'

function typeOf(slug: ProblemSlug, publicBaseUrl: string | undefined): string {
  return `${publicBaseUrl ? `${publicBaseUrl}/problems/` : '/problems/'}${slug}`
}

/** Node's parser error codes, by the status and slug they are answered with. */
export function parserProblem(code: string | undefined): { slug: ProblemSlug; detail: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { slug: 'request-timeout', detail: 'The request did not arrive in time (headers within 15 s, the whole request within 30 s).' }
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { slug: 'request-header-fields-too-large', detail: 'The request line and headers exceed 16 KiB.' }
  }
  return { slug: 'malformed-request', detail: 'The HTTP request cannot be parsed.' }
}

/**
 * The server's `clientError` handler: a raw problem+json answer (no request object exists yet),
 * with a new request id that is also logged, then the connection is closed.
 */
export function clientErrorHandler(log: FastifyBaseLogger, publicBaseUrl: string | undefined) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const { slug, detail } = parserProblem(err.code)
    const { status, title } = PROBLEM_TYPES[slug]
    const requestId = randomUUID()
    // Only the code: the raw bytes Node keeps (err.rawPacket) may hold a key or a password.
    log.info({ requestId, code: err.code, statusCode: status }, 'client error')
    // A response already under way on this socket cannot be followed by another (as Node does).
    const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (socket.writable && !response?.headersSent) {
      const body = JSON.stringify({ type: typeOf(slug, publicBaseUrl), title, status, detail, instance: `urn:uuid:${requestId}`, requestId })
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
          `Content-Type: ${MEDIA_TYPE}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Cache-Control: no-store\r\n' +
          'X-Content-Type-Options: nosniff\r\n' +
          `X-Request-Id: ${requestId}\r\n` +
          'Connection: close\r\n\r\n' +
          body
      )
    }
    socket.destroy()
  }
}

/**
 * Fastify's `frameworkErrors` handler: the request exists (with its id), but the reply is not
 * decorated and no route hook runs, so every header is set here.
 */
export function frameworkErrorHandler(publicBaseUrl: string | undefined) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const slug: ProblemSlug = error.statusCode !== undefined && error.statusCode >= 500 ? 'internal-error' : 'malformed-request'
    const { status, title } = PROBLEM_TYPES[slug]
    const detail = slug === 'internal-error' ? 'An unexpected error occurred.' : 'The URL cannot be decoded: percent-encode the path as UTF-8.'
    const url = request.raw.url ?? '/'
    const q = url.indexOf('?')
    // The path that failed to decode is shown as sent (still percent-encoded), never the query.
    const instance = q === -1 ? url : url.slice(0, q)
    request.log.info({ code: error.code, statusCode: status }, 'framework error')
    void reply
      .code(status)
      .header('content-type', MEDIA_TYPE)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('x-request-id', request.id)
      .send(JSON.stringify({ type: typeOf(slug, publicBaseUrl), title, status, detail, instance, requestId: request.id }))
  }
}
