import { createHash, randomUUID } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError } from '../problems/problem-error.js'
import { MemoryIdempotencyStore } from './memory-store.js'
import { watchRedisDurability } from './redis-durability.js'
import { RedisIdempotencyStore } from './redis-store.js'
import { invitesRetry } from '../sectigo/error-codes.js'
import { StoreFullError, type IdempotencyStore, type StoredResponse } from './store.js'

export const IDEMPOTENCY_HEADER = 'idempotency-key'

interface HeldKey {
  key: string
  storeKey: string
  token: string
  fingerprint: string
  /** Lets the request be over (its log line, the drain) once the record is settled. */
  release: () => void
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key this request holds the in-flight record of. */
    idempotency: HeldKey | null
  }
  interface FastifyInstance {
    /** The memory store, for its figures on /metrics; null with the Redis store. */
    memoryIdempotencyStore: MemoryIdempotencyStore | null
  }
}

export interface IdempotencyOptions {
  store: 'memory' | 'redis'
  ttlSeconds: number
  /** The memory store's bounds: records, and their estimated bytes (memory-store.ts). */
  maxEntries: number
  maxBytes: number
  /** The longest a call can stay in flight: an in-flight record older than this + 30 s lost its owner. */
  longestCallMs: number
  now?: () => number
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

function instancePath(request: FastifyRequest): string {
  const q = request.url.indexOf('?')
  return q === -1 ? request.url : request.url.slice(0, q)
}

/**
 * Idempotency-Key on the order routes (contract section 4): scoped to the caller, fingerprinted
 * by method, path and the canonical JSON of the body; the in-flight record is written before the
 * call and replaced by the answer once the call was attempted. A key is never sent upstream twice.
 */
export const idempotency = fp(
  async (app: FastifyInstance, opts: IdempotencyOptions) => {
    const ttlMs = opts.ttlSeconds * 1000
    const now = opts.now ?? Date.now
    let store: IdempotencyStore
    let memory: MemoryIdempotencyStore | null = null
    if (opts.store === 'redis') {
      if (!app.redis) throw new Error('the redis idempotency store needs REDIS_URL')
      store = new RedisIdempotencyStore(app.redis, { ttlMs })
      watchRedisDurability(app.redis, app.log)
    } else {
      store = memory = new MemoryIdempotencyStore({ ttlMs, maxEntries: opts.maxEntries, maxBytes: opts.maxBytes, now })
    }
    app.decorate('memoryIdempotencyStore', memory)
    const ownerGoneAfterMs = opts.longestCallMs + 30_000

    app.decorateRequest('idempotency', null)

    /** Takes the key for this request, or answers for it; true when the answer has been sent. */
    async function take(request: FastifyRequest, reply: FastifyReply, key: string): Promise<boolean> {
      const caller = request.caller?.id ?? 'anonymous'
      const fingerprint = sha256(`${request.method} ${instancePath(request)}\n${canonicalize(request.body ?? {}) ?? ''}`)
      // The key is hashed: any printable text, bounded length, and no raw key in Redis.
      const storeKey = `${caller}:${sha256(key)}`
      const token = randomUUID()

      let result
      try {
        result = await store.begin(storeKey, { state: 'in-flight', fingerprint, startedAt: now(), token })
      } catch (err) {
        if (err instanceof StoreFullError) {
          throw new ProblemError('service-unavailable', { detail: 'The idempotency store is full of live keys; nothing was sent. Retry later.' })
        }
        request.log.error({ idempotency: { error: (err as Error).message } }, 'idempotency store unreachable')
        throw new ProblemError('service-unavailable', { detail: 'The idempotency store is unreachable; nothing was sent.' })
      }
      if (result.acquired) {
        request.idempotency = { key, storeKey, token, fingerprint, release: app.holdRequest(reply) }
        return false
      }

      const existing = result.existing
      if (existing.fingerprint !== fingerprint) {
        app.metrics.idempotency.conflict('reused')
        throw new ProblemError('idempotency-key-reused', {
          detail: 'This Idempotency-Key was used for another request (another method, path or body).',
          errors: [{ header: 'Idempotency-Key', detail: 'was used for another request' }]
        })
      }
      if (existing.state === 'done') {
        app.metrics.idempotency.replay()
        replay(reply, existing.response)
        return true
      }
      if (now() - existing.startedAt > ownerGoneAfterMs) {
        // The replica that took the key stopped without an answer: the call may have reached
        // Sectigo, so it is not sent again.
        app.metrics.idempotency.conflict('owner-gone')
        throw new ProblemError('upstream-timeout', {
          detail: 'The first request with this Idempotency-Key stopped without an answer. It may have reached Sectigo, so it is not sent again: check the order.',
          outcome: 'unknown'
        })
      }
      app.metrics.idempotency.conflict('in-use')
      throw new ProblemError('idempotency-key-in-use', {
        detail: 'A request with this Idempotency-Key is still being processed; repeat it once that one has finished.',
        retryAfter: 1
      })
    }

    // Synchronous until there is a key to take or a record to settle: most calls carry none, and a
    // promise per request is not free. Only the order routes (those with a scope) have the hooks.
    const takeKey = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      const key = request.headers[IDEMPOTENCY_HEADER]
      if (typeof key !== 'string') return done()
      take(request, reply, key).then(
        (replied) => {
          if (!replied) done()
        },
        (err: Error) => done(err)
      )
    }
    const settleKey = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload: unknown) => void) => {
      const held = request.idempotency
      if (!held) return done(null, payload)
      request.idempotency = null
      settle(request, reply, held, payload).then(() => {
        held.release()
        done(null, payload)
      })
    }
    app.addHook('onRoute', (route) => {
      if (!route.config?.scope) return
      route.preHandler = [...asList(route.preHandler), takeKey]
      route.onSend = [...asList(route.onSend), settleKey]
    })

    async function settle(request: FastifyRequest, reply: FastifyReply, held: HeldKey, payload: unknown): Promise<void> {
      try {
        const call = request.sectigoCall
        if (call?.sent && !invitesRetry(call.errorCode)) {
          const contentType = String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8')
          const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload ?? '')
          await store.complete(held.storeKey, held.token, {
            state: 'done',
            fingerprint: held.fingerprint,
            response: { status: reply.statusCode, contentType, body, ...replayedHeaders(reply) }
          })
        } else {
          // Nothing was written to Sectigo (a pre-flight rule, the queue, a refused connection),
          // or Sectigo changed nothing and asked for a retry (-42): the key stays free.
          await store.release(held.storeKey, held.token)
        }
      } catch (err) {
        // The caller still gets the answer; a repeat finds the in-flight record and is never re-sent.
        request.log.error({ idempotency: { error: (err as Error).message } }, 'idempotency record not updated')
      }
    }

    app.addHook('onClose', async () => store.close())
  },
  { name: 'idempotency', fastify: '5.x', dependencies: ['redis', 'metrics', 'auth'] }
)

function asList<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]
}

/** The headers of an answer that a client acts on, kept with it for the replay. */
const REPLAYED_HEADERS = ['retry-after', 'location'] as const

function replayedHeaders(reply: FastifyReply): { headers?: Record<string, string> } {
  let headers: Record<string, string> | undefined
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name)
    if (value !== undefined) (headers ??= {})[name] = String(value)
  }
  return headers ? { headers } : {}
}

function replay(reply: FastifyReply, stored: StoredResponse): FastifyReply {
  if (stored.headers) reply.headers(stored.headers)
  return reply.code(stored.status).type(stored.contentType).header('idempotent-replayed', 'true').send(stored.body)
}
