import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import { IDEMPOTENCY_HEADER } from '../idempotency/idempotency-plugin.js'
import { RequestLogger } from '../logging/request-logger.js'
import { writeRequestFields } from '../logging/request-fields.js'
import type { SectigoCallRecord } from '../sectigo/client.js'

const round = (ms: number) => Math.round(ms * 10) / 10

/** What the line says of the request's call to Sectigo: phases, attempts, outcome. Never the form. */
function upstreamFields(call: SectigoCallRecord): Record<string, unknown> {
  const last = call.attempts.at(-1)
  // Assigned one by one, not spread from conditional objects: each spread made an object to copy.
  const fields: Record<string, unknown> = {
    endpoint: call.endpoint,
    outcome: call.outcome,
    sent: call.sent,
    attempts: call.attempts.length,
    queuedMs: round(call.queuedMs),
    durationMs: round(call.durationMs)
  }
  if (last?.connectMs !== undefined) fields.connectMs = round(last.connectMs)
  if (call.errorCode !== undefined) fields.errorCode = call.errorCode
  if (last?.statusCode !== undefined && last.statusCode !== 200) fields.statusCode = last.statusCode
  if (last?.code) fields.code = last.code
  return fields
}


/**
 * One line per request, written when it is over (answered and closed, or abandoned by the caller),
 * carrying the access fields, the audit record of an order call, and its Sectigo call. The level is
 * `warn` when the call to Sectigo ended without a reply or the answer is a 5xx, `info` otherwise;
 * a line its level does not let through is not even built. The root logger writes it with the
 * request logger's fields (`requestId`, trace ids): one serialisation, no child logger.
 */
export const requestLog = fp(
  async (app: FastifyInstance, opts: { logger: Logger }) => {
    const log = opts.logger
    app.onRequestDone((request: FastifyRequest, reply: FastifyReply, { abandoned }) => {
      const call = request.sectigoCall
      const failed = reply.statusCode >= 500 || (call !== null && call.outcome !== undefined && call.outcome !== 'reply')
      const level = failed ? 'warn' : 'info'
      if (!log.isLevelEnabled(level)) return
      const route = request.routeOptions
      // The route and the owned parameters, never the URL: a query may carry a caller's key.
      const line: Record<string, unknown> = request.log instanceof RequestLogger ? { ...request.log.fields() } : { requestId: request.id }
      const fields = writeRequestFields(line, request, route.url)
      line.statusCode = reply.statusCode
      line.durationMs = round(reply.elapsedTime)
      if (route.config.scope) {
        const key = request.headers[IDEMPOTENCY_HEADER]
        line.audit = true
        line.caller = request.caller?.id ?? null
        line.orderNumber = fields.params?.orderNumber ?? fields.params?.baseOrderNumber ?? null
        line.idempotencyKey = typeof key === 'string' ? key : null
        line.replayed = reply.getHeader('idempotent-replayed') === 'true'
        line.sectigoCode = call?.errorCode ?? null
      }
      if (call) line.sectigo = upstreamFields(call)
      if (abandoned) line.abandoned = true
      log[level](line, 'request completed')
    })
  },
  { name: 'request-log', fastify: '5.x', dependencies: ['request-cycle'] }
)
