import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { IDEMPOTENCY_HEADER } from '../idempotency/idempotency-plugin.js'
import { requestFields } from '../logging/request-fields.js'

/**
 * One audit line per order call (contract section 6), refused or not, and also when the caller
 * hung up before the answer: who, which route and order, which Idempotency-Key, the answer and
 * Sectigo's code, how long. Never the body.
 */
export const audit = fp(
  async (app: FastifyInstance) => {
    app.onRequestDone((request, reply, { abandoned }) => {
      if (!request.routeOptions.config.scope) return
      // Only order numbers the service accepts: a caller may put anything in the path.
      const params: Record<string, string | undefined> = requestFields(request).params ?? {}
      const key = request.headers[IDEMPOTENCY_HEADER]
      request.log.info(
        {
          audit: true,
          caller: request.caller?.id ?? null,
          route: `${request.method} ${request.routeOptions.url ?? ''}`,
          orderNumber: params.orderNumber ?? params.baseOrderNumber ?? null,
          idempotencyKey: typeof key === 'string' ? key : null,
          replayed: reply.getHeader('idempotent-replayed') === 'true',
          status: reply.statusCode,
          sectigoCode: request.sectigoCall?.errorCode ?? null,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
          ...(abandoned ? { abandoned: true } : {})
        },
        'order call'
      )
    })
  },
  { name: 'audit', fastify: '5.x', dependencies: ['auth', 'sectigo', 'request-done'] }
)
