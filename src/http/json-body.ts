import { isUtf8 } from 'node:buffer'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ProblemError } from '../problems/problem-error.js'
import { findMemberFault, lineAndColumn, syntaxErrorOffset } from './json-text.js'

/** The charset parameter of a Content-Type, lower-cased, or undefined when there is none. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=')
    if (eq === -1) continue
    if (param.slice(0, eq).trim().toLowerCase() !== 'charset') continue
    return param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase()
  }
  return undefined
}

function invalid(detail: string, pointer = '#', memberDetail = detail): ProblemError {
  return new ProblemError('validation-failed', { detail, errors: [{ pointer, detail: memberDetail }] })
}

/**
 * Parses a JSON body strictly: UTF-8 only (charset absent or `utf-8`; bytes that are not UTF-8
 * refused), a JSON object only, no member twice, no prototype-poisoning key. An empty body is
 * `undefined` ("no body"), which each route gives its documented meaning.
 */
export function parseJsonBody(request: FastifyRequest, body: Buffer): unknown {
  const charset = charsetOf(request.headers['content-type'])
  if (charset !== undefined && charset !== 'utf-8') {
    throw new ProblemError('unsupported-media-type', {
      detail: 'The body must be JSON in UTF-8: send Content-Type: application/json, without a charset or with charset=utf-8.'
    })
  }
  if (body.length === 0) return undefined
  if (!isUtf8(body)) throw invalid('The body is not valid UTF-8; JSON bodies must be encoded in UTF-8.')
  const text = body.toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    const offset = syntaxErrorOffset(text)
    const { line, column } = lineAndColumn(text, offset)
    const where = offset >= text.length ? 'it ends too early' : `at line ${line}, column ${column} (offset ${offset})`
    throw invalid(`The body is not valid JSON: ${where}.`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('The body must be a JSON object.')
  }
  const fault = findMemberFault(text)
  if (fault?.kind === 'duplicate') {
    throw invalid(`${fault.pointer} appears twice: each member may be given only once.`, fault.pointer, 'appears twice')
  }
  if (fault) throw invalid(`${fault.pointer} is not allowed: the key ${fault.member} is refused.`, fault.pointer, 'is not allowed')
  return value
}

/** Replaces Fastify's JSON parser with `parseJsonBody` for every route. */
export function installJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body as Buffer))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}
