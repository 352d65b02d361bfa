import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** The Redis shared by the replicas (REDIS_URL), for rate limits and idempotency keys. */
    redis: Redis | null
  }
}

/**
 * One client for the app. Commands fail fast while Redis is unreachable (no offline queue), so a
 * request gets a 503 in milliseconds rather than waiting on a reconnect.
 */
export const redisPlugin = fp(
  async (app: FastifyInstance, opts: { url?: string }) => {
    if (!opts.url) {
      app.decorate('redis', null)
      return
    }
    // Loaded only when REDIS_URL is set: without it, the client would be memory for nothing.
    const { Redis } = await import('ioredis')
    const client = new Redis(opts.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      connectionName: 'sectigo-proxy'
    })
    // Connection errors are reported by the commands that fail; log them once each, without the URL.
    client.on('error', (err: NodeJS.ErrnoException) => app.log.warn({ redis: { code: err.code ?? err.name } }, 'redis connection error'))
    try {
      await client.connect()
    } catch (err) {
      app.log.warn({ redis: { code: (err as NodeJS.ErrnoException).code } }, 'redis not reachable at startup; retrying in the background')
    }
    app.decorate('redis', client)
    app.addHook('onClose', async () => {
      await client.quit().catch(() => client.disconnect())
    })
  },
  { name: 'redis', fastify: '5.x' }
)
