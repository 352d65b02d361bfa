import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError } from '../problems/problem-error.js'

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: {
      readonly closing: boolean
      /** Starts the drain: readiness turns 503 and new requests are refused. */
      beginShutdown(): void
    }
  }
}

/** Paths that keep answering during the drain: liveness, so the orchestrator does not restart us. */
const ALWAYS_SERVED = new Set(['/healthz'])

export const lifecycle = fp(
  async (app: FastifyInstance) => {
    let closing = false
    app.decorate('lifecycle', {
      get closing() {
        return closing
      },
      beginShutdown() {
        closing = true
      }
    })
    app.addHook('onRequest', async (request, reply) => {
      if (!closing || ALWAYS_SERVED.has(request.routeOptions.url ?? '')) return
      reply.header('connection', 'close')
      throw new ProblemError('service-unavailable', { detail: 'The service is shutting down; retry on another replica.' })
    })
    // Fastify's close() also stops new connections; requests already running finish first.
    app.addHook('preClose', async () => {
      closing = true
    })
  },
  { name: 'lifecycle', fastify: '5.x', dependencies: ['problem-handler'] }
)
