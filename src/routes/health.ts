import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProblemError } from '../problems/problem-error.js'
import { problemResponses } from '../schemas/problem.js'
import type {} from '@fastify/under-pressure'

const Status = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })

/** Liveness and readiness; the readiness checks added by other plugins run through `readyz` hooks. */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getLiveness',
        summary: 'Liveness',
        description: 'Answers 200 while the process runs, also while it drains at shutdown.',
        response: { 200: Status }
      }
    },
    async () => ({ status: 'ok' as const })
  )

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        summary: 'Readiness',
        description: 'Answers 200 when the service takes traffic, 503 `service-unavailable` while starting, shutting down or overloaded.',
        response: { 200: Status, ...problemResponses(['service-unavailable'], '/readyz') }
      }
    },
    async () => {
      if (app.lifecycle.closing || app.isUnderPressure()) {
        throw new ProblemError('service-unavailable', { detail: 'The service is shutting down.' })
      }
      return { status: 'ok' as const }
    }
  )
}
