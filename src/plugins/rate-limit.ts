import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError } from '../problems/problem-error.js'

/**
 * Per-caller budgets on the order routes (the routes with a scope), kept in Redis when there is
 * one so that replicas share them. Headers follow the IETF RateLimit draft. If Redis fails, calls
 * go through rather than failing: the limit protects Sectigo's call budget, not correctness.
 */
export const rateLimits = fp(
  async (app: FastifyInstance, opts: { max: number; windowMs: number }) => {
    // Only the order routes get the limiter's hook: the others (health, metrics, documentation)
    // are not limited, and should not pay for a hook that lets them through.
    app.addHook('onRoute', (route) => {
      if (!route.config?.scope) route.config = { ...route.config, rateLimit: false }
    })
    await app.register(rateLimit, {
      global: true,
      max: opts.max,
      timeWindow: opts.windowMs,
      hook: 'onRequest',
      enableDraftSpec: true,
      skipOnError: true,
      nameSpace: 'sectigo-proxy:rate:',
      ...(app.redis ? { redis: app.redis } : {}),
      keyGenerator: (request) => request.caller?.id ?? request.ip,
      errorResponseBuilder: (_request, context) =>
        new ProblemError('rate-limited', {
          detail: `This caller may make ${context.max} calls per ${Math.round(opts.windowMs / 1000)} s; retry in ${Math.ceil(context.ttl / 1000)} s.`,
          retryAfter: Math.max(1, Math.ceil(context.ttl / 1000))
        })
    })
  },
  { name: 'rate-limits', fastify: '5.x', dependencies: ['auth', 'redis'] }
)
