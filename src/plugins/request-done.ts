import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

export interface RequestOutcome {
  /** The caller hung up before the answer was written (it was produced all the same). */
  abandoned: boolean
}

export type RequestDoneListener = (request: FastifyRequest, reply: FastifyReply, outcome: RequestOutcome) => void

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs `listener` once per request, when its answer is produced and its response closed. */
    onRequestDone(listener: RequestDoneListener): void
  }
}

interface State {
  sent: boolean
  closed: boolean
  abandoned: boolean
  fired: boolean
}

/**
 * One signal for "this request is over", for the drain, the access and audit lines and metrics.
 * Fastify's onResponse is not enough: when a caller hangs up while its call to Sectigo is still
 * running, the handler still finishes and its answer is produced (and stored for idempotency),
 * but the response never emits 'finish', so onResponse never runs. Here a request is over when
 * its answer has been produced (onSend) and its response has closed, in whichever order.
 */
export const requestDone = fp(
  async (app: FastifyInstance) => {
    const listeners: RequestDoneListener[] = []
    const states = new WeakMap<FastifyRequest, State>()

    const fire = (request: FastifyRequest, reply: FastifyReply, state: State) => {
      if (state.fired || !state.sent || !state.closed) return
      state.fired = true
      for (const listener of listeners) {
        try {
          listener(request, reply, { abandoned: state.abandoned })
        } catch (err) {
          request.log.error({ err }, 'request-done listener failed')
        }
      }
    }

    app.decorate('onRequestDone', (listener: RequestDoneListener) => {
      listeners.push(listener)
    })

    app.addHook('onRequest', (request, reply, done) => {
      const state: State = { sent: false, closed: false, abandoned: false, fired: false }
      states.set(request, state)
      reply.raw.once('close', () => {
        state.closed = true
        // Closed before the answer was handed over: the caller went away.
        if (!state.sent) state.abandoned = true
        fire(request, reply, state)
      })
      done()
    })

    app.addHook('onSend', (request, reply, payload, done) => {
      const state = states.get(request)
      done(null, payload)
      if (!state) return
      state.sent = true
      fire(request, reply, state)
    })
  },
  { name: 'request-done', fastify: '5.x' }
)
