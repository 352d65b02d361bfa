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

/** The request's fields for a log line, with nothing a caller could have hidden a secret in. */
export function requestFields(request: FastifyRequest, route: string | undefined = request.routeOptions.url): RequestFields {
  const fields: RequestFields = { method: request.method, route: route ?? 'unmatched' }
  const params = request.params
  if (params !== null && typeof params === 'object') {
    const out: Record<string, string> = {}
    for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
      const rule = PARAMETER_RULES[name]
      if (!rule) continue
      out[name] = typeof value === 'string' && rule(value) ? value : NOT_LOGGED
    }
    if (Object.keys(out).length > 0) fields.params = out
  }
  const query = request.query
  if (query !== null && typeof query === 'object') {
    const out: Record<string, string> = {}
    for (const [name, allowed] of Object.entries(QUERY_RULES)) {
      if (!Object.hasOwn(query, name)) continue
      const value = (query as Record<string, unknown>)[name]
      out[name] = typeof value === 'string' && allowed.includes(value) ? value : NOT_LOGGED
    }
    if (Object.keys(out).length > 0) fields.query = out
  }
  return fields
}
