import { once, EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError } from '../problems/problem-error.js'

export interface RequestOutcome {
  /** The caller hung up before the answer was written (it was produced all the same). */
  abandoned: boolean
}

export type RequestDoneListener = (request: FastifyRequest, reply: FastifyReply, outcome: RequestOutcome) => void

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs `listener` once per request, when it is over (see below), in the order they were added. */
    onRequestDone(listener: RequestDoneListener): void
    /** Keeps the request of `reply` from being over until the returned function is called (a key held until its answer is stored). */
    holdRequest(reply: FastifyReply): () => void
    lifecycle: {
      readonly closing: boolean
      /** Requests received and not yet over. */
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

/** Where a request stands; kept on its raw response, which the close listener is called on. */
class Cycle {
  answered = false
  closed = false
  abandoned = false
  holds = 0
  over = false

  constructor(
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    readonly end: (cycle: Cycle) => void
  ) {}

  /** Over once the answer is produced, the response closed and nothing holds the request. */
  settle(): void {
    if (this.over || !this.answered || !this.closed || this.holds > 0) return
    this.over = true
    this.end(this)
  }
}

const CYCLE = Symbol('sectigo-proxy.cycle')
type TrackedResponse = ServerResponse & { [CYCLE]?: Cycle }

// One function for every response, rather than a closure per request.
function onClose(this: TrackedResponse): void {
  const cycle = this[CYCLE]
  if (!cycle) return
  cycle.closed = true
  // Closed before the answer was handed over: the caller went away.
  if (!cycle.answered) cycle.abandoned = true
  cycle.settle()
}

/**
 * Every request's life, in one onRequest and one onSend hook:
 *
 * - arrival: counted in flight; refused with 503 while the service drains (but /healthz);
 * - the route's own steps (order routes: caller, rate limit, Idempotency-Key, handler);
 * - the answer: the headers every answer carries; the answer counts as produced;
 * - over: when the answer is produced and the response closed, in either order, and nothing holds
 *   the request (an Idempotency-Key taken and its answer not yet stored). The done listeners run
 *   then (the request's log line, metrics, spans), and it leaves the in-flight count.
 *
 * Fastify's onResponse is not enough: when a caller hangs up while its call to Sectigo is still
 * running, the handler still finishes and its answer is produced (and stored), but the response
 * never emits 'finish', so onResponse never runs.
 */
export const requestCycle = fp(
  async (app: FastifyInstance) => {
    const listeners: RequestDoneListener[] = []
    let closing = false
    let inFlight = 0
    const events = new EventEmitter()

    const end = (cycle: Cycle) => {
      const { request, reply } = cycle
      const outcome = { abandoned: cycle.abandoned }
      for (const listener of listeners) {
        try {
          listener(request, reply, outcome)
        } catch (err) {
          request.log.error({ err }, 'request-done listener failed')
        }
      }
      if (--inFlight === 0) events.emit('drained')
    }

    app.decorate('onRequestDone', (listener: RequestDoneListener) => {
      listeners.push(listener)
    })
    app.decorate('holdRequest', (reply: FastifyReply) => {
      const cycle = (reply.raw as TrackedResponse)[CYCLE]
      if (!cycle) return () => undefined
      cycle.holds++
      let released = false
      return () => {
        if (released) return
        released = true
        cycle.holds--
        cycle.settle()
      }
    })
    app.decorate('lifecycle', {
      get closing() {
        return closing
      },
      get inFlight() {
        return inFlight
      },
      beginShutdown() {
        closing = true
      },
      async drained(timeoutMs: number) {
        if (inFlight === 0) return true
        return once(events, 'drained', { signal: AbortSignal.timeout(timeoutMs) }).then(
          () => true,
          () => inFlight === 0
        )
      }
    })

    app.addHook('onRequest', (request, reply, done) => {
      const cycle = new Cycle(request, reply, end)
      const res = reply.raw as TrackedResponse
      res[CYCLE] = cycle
      res.on('close', onClose)
      inFlight++
      if (!closing || ALWAYS_SERVED.has(request.routeOptions.url ?? '')) return done()
      reply.header('connection', 'close')
      done(new ProblemError('service-unavailable', { detail: 'The service is shutting down; retry on another replica.' }))
    })

    app.addHook('onSend', (request, reply, payload, done) => {
      reply.header('x-request-id', request.id)
      // Answers name orders and callers: no cache may keep them. Swagger UI's assets set their own.
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
      reply.header('x-content-type-options', 'nosniff')
      done(null, payload)
      const cycle = (reply.raw as TrackedResponse)[CYCLE]
      if (!cycle) return
      cycle.answered = true
      cycle.settle()
    })

    app.addHook('preClose', async () => {
      closing = true
    })
  },
  { name: 'request-cycle', fastify: '5.x' }
)
