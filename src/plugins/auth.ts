import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { SCOPES, type ApiKeyEntry, type Scope } from '../config/api-keys.js'
import { ProblemError } from '../problems/problem-error.js'
import type { Endpoint } from '../sectigo/fields.js'

export interface Caller {
  /** The key's id: the caller's identity in logs, metrics, rate limits and idempotency. */
  id: string
  scopes: readonly Scope[]
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on the order routes once the caller is known. */
    caller: Caller | null
  }
  interface FastifyContextConfig {
    /** The scope an order route needs; routes without one are open. */
    scope?: Scope
    /** The Sectigo endpoint an order route calls. */
    endpoint?: Endpoint
  }
}

export const ANONYMOUS: Caller = { id: 'anonymous', scopes: SCOPES }

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/i

/** What is wrong with the Authorization header, in words (never quoting it). */
export function unauthorizedDetail(header: string | undefined, key: string | undefined): string {
  if (header === undefined) return 'Send an API key as Authorization: Bearer <key>.'
  if (key !== undefined) return 'The API key is not known.'
  if (!/^Bearer(\s|$)/i.test(header)) return 'The Authorization header must use the Bearer scheme: Authorization: Bearer <key> (Basic and other schemes are not accepted).'
  return 'The Bearer token is empty or malformed: send Authorization: Bearer <key>, the key as the operators gave it (printable ASCII, no spaces).'
}

/**
 * Caller keys: only SHA-256 hashes are configured; the presented key is hashed and compared in
 * constant time against every entry. Without configured keys the service is open and calls every
 * caller `anonymous`, ignoring any Authorization header (config refuses that in live mode unless
 * ALLOW_UNAUTHENTICATED=true).
 */
export const auth = fp(
  async (app: FastifyInstance, opts: { keys: readonly ApiKeyEntry[] }) => {
    const entries = opts.keys.map((k) => ({ caller: { id: k.id, scopes: k.scopes }, hash: Buffer.from(k.sha256, 'hex') }))
    const enforced = entries.length > 0

    function identify(key: string): Caller | undefined {
      const digest = createHash('sha256').update(key).digest()
      let found: Caller | undefined
      // Every entry is compared, so the time taken does not say which one matched.
      for (const entry of entries) if (timingSafeEqual(digest, entry.hash)) found = entry.caller
      return found
    }

    app.decorateRequest('caller', null)

    // Only the routes with a scope get the hook, with the scope it needs bound in. Synchronous:
    // nothing here awaits, and a promise per request is not free.
    app.addHook('onRoute', (route) => {
      const scope = route.config?.scope
      if (!scope) return
      const hook = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => authenticate(request, scope, done)
      // First among the route's own onRequest hooks: the rate limit counts by caller.
      const existing = route.onRequest
      route.onRequest = existing === undefined ? [hook] : [hook, ...(Array.isArray(existing) ? existing : [existing])]
    })

    function authenticate(request: FastifyRequest, scope: Scope, done: (err?: Error) => void): void {
      if (!enforced) {
        request.caller = ANONYMOUS
        return done()
      }
      const header = request.headers.authorization
      const key = header === undefined ? undefined : BEARER.exec(header)?.[1]
      const caller = key === undefined ? undefined : identify(key)
      if (!caller) {
        const challenge = header === undefined ? 'Bearer realm="sectigo-proxy"' : 'Bearer realm="sectigo-proxy", error="invalid_token"'
        return done(
          new ProblemError('unauthorized', {
            detail: unauthorizedDetail(header, key),
            headers: { 'www-authenticate': challenge }
          })
        )
      }
      // Known from here, for the request's log line, even when the scope is missing.
      request.caller = caller
      if (!caller.scopes.includes(scope)) return done(new ProblemError('forbidden', { detail: `This API key lacks the scope ${scope}.` }))
      done()
    }
  },
  { name: 'auth', fastify: '5.x', dependencies: ['problem-handler'] }
)
