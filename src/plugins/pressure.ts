import { getHeapStatistics } from 'node:v8'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError } from '../problems/problem-error.js'

/**
 * Sheds load when the event loop lags or the heap nears its limit: 503 `service-unavailable`
 * (also on /readyz, so the orchestrator routes elsewhere); /healthz keeps answering.
 */
export interface PressureOptions {
  /** Event-loop delay above which requests are shed; 1000 ms by default, 0 for never. */
  maxEventLoopDelayMs?: number
  /** Share of V8's heap limit above which requests are shed; 0.9 by default. */
  maxHeapFraction?: number
  /** How often the figures are sampled; 1000 ms by default. */
  sampleIntervalMs?: number
}

export const pressure = fp(
  async (app: FastifyInstance, opts: PressureOptions = {}) => {
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs ?? 1000,
      maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * (opts.maxHeapFraction ?? 0.9)),
      sampleInterval: opts.sampleIntervalMs ?? 1000,
      pressureHandler: async (request, _reply, type) => {
        if (request.routeOptions.url === '/healthz') return
        throw new ProblemError('service-unavailable', { detail: `The service is overloaded (${type}); retry shortly or on another replica.` })
      }
    })
  },
  { name: 'pressure', fastify: '5.x', dependencies: ['problem-handler'] }
)
