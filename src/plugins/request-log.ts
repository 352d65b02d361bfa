import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { IDEMPOTENCY_HEADER } from '../idempotency/idempotency-plugin.js'
import { requestFields } from '../logging/request-fields.js'
import type { SectigoCallRecord } from '../sectigo/client.js'

const round = (ms: number) => Math.round(ms * 10) / 10

/** What the line says of the request's call to Sectigo: phases, attempts, outcome. Never the form. */
function upstreamFields(call: SectigoCallRecord) {
  const last = call.attempts.at(-1)
  return {
    endpoint: call.endpoint,
    outcome: call.outcome,
    sent: call.sent,
    attempts: call.attempts.length,
    queuedMs: round(call.queuedMs),
    durationMs: round(call.durationMs),
    ...(last?.connectMs !== undefined ? { connectMs: round(last.connectMs) } : {}),
    ...(call.errorCode !== undefined ? { errorCode: call.errorCode } : {}),
    ...(last?.statusCode !== undefined && last.statusCode !== 200 ? { statusCode: last.statusCode } : {}),
    ...(last?.code ? { code: last.code } : {})
  }
}


/**
 * One line per request, written when it is over (answered and closed, or abandoned by the caller),
 * carrying the access fields, the audit record of an order call, and its Sectigo call. The level is
 * `warn` when the call to Sectigo ended without a reply or the answer is a 5xx, `info` otherwise.
 */
export const requestLog = fp(
  async (app: FastifyInstance) => {
    app.onRequestDone((request: FastifyRequest, reply: FastifyReply, { abandoned }) => {
      const scope = request.routeOptions.config.scope
      const call = request.sectigoCall
      // The route and the owned parameters, never the URL: a query may carry a caller's key.
      const fields = requestFields(request)
      const line: Record<string, unknown> = { ...fields, statusCode: reply.statusCode, durationMs: round(reply.elapsedTime) }
      if (scope) {
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
      const failed = reply.statusCode >= 500 || (call !== null && call.outcome !== undefined && call.outcome !== 'reply')
      if (failed) request.log.warn(line, 'request completed')
      else request.log.info(line, 'request completed')
    })
  },
  { name: 'request-log', fastify: '5.x', dependencies: ['request-done'] }
)
