import type { FastifyInstance, HTTPMethods } from 'fastify'
import type {} from '@fastify/swagger'
import { ProblemError } from '../problems/problem-error.js'

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/**
 * Fastify answers 404 for a known path with another method; the contract wants 405 with `Allow`.
 * Call `track` before registering routes and `install` after: it adds a hidden route per path
 * for the methods that path does not answer.
 */
export function methodNotAllowed(app: FastifyInstance): { install(): void } {
  const routes = new Map<string, Set<string>>()
  let installing = false
  app.addHook('onRoute', (route) => {
    if (installing) return
    // Swagger UI's routes (hidden from the document) and wildcards are left to the not-found handler.
    if (route.url.includes('*') || route.schema?.hide === true) return
    const methods = routes.get(route.url) ?? new Set<string>()
    for (const m of [route.method].flat()) methods.add(m)
    routes.set(route.url, methods)
  })
  return {
    install() {
      installing = true
      for (const [url, methods] of routes) {
        const missing = METHODS.filter((m) => !methods.has(m))
        if (missing.length === 0) continue
        const allow = METHODS.filter((m) => methods.has(m)).join(', ')
        app.route({
          method: missing,
          url,
          schema: { hide: true },
          handler: async (request, reply) =>
            reply
              .header('allow', allow)
              .sendProblem(new ProblemError('method-not-allowed', { detail: `${request.method} is not allowed here; use ${allow}.` }))
        })
      }
    }
  }
}
