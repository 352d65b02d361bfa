import type { FastifyRequest } from 'fastify'
import { isProblemSlug } from '../problems/problem-types.js'
import { ORDER_NUMBER_PATTERN } from '../schemas/common.js'

// What a log line may say about a request: the route pattern, the path parameters the service
// owns, and the query members it knows, each only when its value is one the service accepts.
// Never the raw URL: a caller may put a key in the query (`?api_key=…`) or anywhere in the path.

const ORDER_NUMBER = new RegExp(ORDER_NUMBER_PATTERN)

/** Each path parameter the routes declare, and the values safe to log as they are. */
const PARAMETER_RULES: Readonly<Record<string, (value: string) => boolean>> = {
  orderNumber: (v) => ORDER_NUMBER.test(v),
  baseOrderNumber: (v) => ORDER_NUMBER.test(v),
  slug: isProblemSlug,
  domainName: (v) => /^(\*\.)?[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*$/.test(v) && v.length <= 253
  // Not `*` (the not-found route's and Swagger UI's files): any path at all.
}

/** Each query member the routes know, and its values. */
const QUERY_RULES: Readonly<Record<string, readonly string[]>> = {
  dryRun: ['true', 'false']
}

/** A value the service does not accept is logged as this, never as sent. */
export const NOT_LOGGED = '[not logged]'

export interface RequestFields {
  method: string
  /** The route pattern (`/orders/:orderNumber/dcv`), or `unmatched` when no route answers. */
  route: string
  params?: Record<string, string>
  query?: Record<string, string>
}

const QUERY_NAMES = Object.keys(QUERY_RULES)

/**
 * The request's fields for a log line, with nothing a caller could have hidden a secret in, written
 * into `line` (which already holds its logger's fields): no intermediate objects, on a path every
 * request takes.
 */
export function writeRequestFields<T extends object>(line: T, request: FastifyRequest, route: string | undefined): T & RequestFields {
  const fields = line as T & RequestFields
  fields.method = request.method
  fields.route = route ?? 'unmatched'
  const params = request.params as Record<string, unknown> | null
  if (params !== null && typeof params === 'object') {
    for (const name in params) {
      const rule = PARAMETER_RULES[name]
      if (!rule || !Object.hasOwn(params, name)) continue
      const value = params[name]
      ;(fields.params ??= {})[name] = typeof value === 'string' && rule(value) ? value : NOT_LOGGED
    }
  }
  const query = request.query as Record<string, unknown> | null
  if (query !== null && typeof query === 'object') {
    for (const name of QUERY_NAMES) {
      if (!Object.hasOwn(query, name)) continue
      const value = query[name]
      ;(fields.query ??= {})[name] = typeof value === 'string' && (QUERY_RULES[name] ?? []).includes(value) ? value : NOT_LOGGED
    }
  }
  return fields
}
