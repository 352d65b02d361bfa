import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

const WARNING =
  'a Redis that loses its data can let a replacement with an Idempotency-Key through twice; run it with appendonly yes (see the README, "Redis durability")'

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim()
}

/**
 * Watches what the idempotency keys' Redis keeps: one warning when it writes no append-only file
 * (a restart loses the keys since the last snapshot, or all of them), and one each time its run id
 * changes (it restarted: keys not on disk are gone). Redis' INFO is readable on managed services
 * where CONFIG is not.
 */
export function watchRedisDurability(redis: Redis, log: FastifyBaseLogger): void {
  let runId: string | undefined
  const check = async () => {
    const info = await redis.info('server')
    const persistence = await redis.info('persistence')
    const current = field(info, 'run_id')
    if (runId !== undefined && current !== undefined && current !== runId) {
      log.warn({ redis: { restarted: true } }, `redis restarted: idempotency keys it did not persist are gone; ${WARNING}`)
    }
    if (runId === undefined && field(persistence, 'aof_enabled') === '0') {
      log.warn({ redis: { appendonly: false } }, `redis keeps no append-only file: ${WARNING}`)
    }
    runId = current ?? runId
  }
  const run = () => {
    check().catch((err: NodeJS.ErrnoException) => log.warn({ redis: { code: err.code ?? err.name } }, 'redis durability not checked'))
  }
  redis.on('ready', run)
  if (redis.status === 'ready') run()
}
