import { once, EventEmitter } from 'node:events'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError } from '../problems/problem-error.js'

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: {
      readonly closing: boolean
      /** Requests received and not yet answered. */
      readonly inFlight: number
      /** Starts the drain: readiness turns 503 and new requests are refused with 503. */
      beginShutdown(): void
      /** Resolves true once no request is in flight, or false after `timeoutMs` with some still in flight. */
      drained(timeoutMs: number): Promise<boolean>
    }
  }
}

/** Paths that keep answering during the drain: liveness, so the orchestrator does not restart us. */
const ALWAYS_SERVED = new Set(['/healthz'])

/**
 * Shutdown in the order a load balancer needs: the listener stays open while draining, so a
 * request on a new connection gets a 503 (and goes elsewhere) rather than a refused connection.
 */
export const lifecycle = fp(
  async (app: FastifyInstance) => {
    let closing = false
    const active = new Set<FastifyRequest>()
    const events = new EventEmitter()
    const settle = (request: FastifyRequest) => {
      if (active.delete(request) && active.size === 0) events.emit('drained')
    }

    app.decorate('lifecycle', {
      get closing() {
        return closing
      },
      get inFlight() {
        return active.size
      },
      beginShutdown() {
        closing = true
      },
      async drained(timeoutMs: number) {
        if (active.size === 0) return true
        return once(events, 'drained', { signal: AbortSignal.timeout(timeoutMs) }).then(
          () => true,
          () => active.size === 0
        )
      }
    })

    app.addHook('onRequest', (request, reply, done) => {
      active.add(request)
      if (!closing || ALWAYS_SERVED.has(request.routeOptions.url ?? '')) return done()
      reply.header('connection', 'close')
      done(new ProblemError('service-unavailable', { detail: 'The service is shutting down; retry on another replica.' }))
    })
    // Also for a caller that hung up: its call to Sectigo still finishes before the drain ends.
    app.onRequestDone((request) => settle(request))
    app.addHook('preClose', async () => {
      closing = true
    })
  },
  { name: 'lifecycle', fastify: '5.x', dependencies: ['problem-handler', 'request-done'] }
)
