import type { Redis } from 'ioredis'
import type { BeginResult, IdempotencyEntry, IdempotencyStore } from './store.js'

// Replace or delete a record only while it is still our in-flight one (same token): a record
// that expired and was taken by another request must not be overwritten.
const COMPLETE = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, decoded = pcall(cjson.decode, current)
if not ok or decoded.state ~= 'in-flight' or decoded.token ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`

const RELEASE = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, decoded = pcall(cjson.decode, current)
if not ok or decoded.state ~= 'in-flight' or decoded.token ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`

/**
 * The store replicas share. The in-flight record is written with SET NX and the full retention,
 * so of two replicas racing on one key exactly one wins and calls Sectigo.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: { ttlMs: number; prefix?: string }
  ) {}

  #key(key: string): string {
    return `${this.options.prefix ?? 'sectigo-proxy:idem:'}${key}`
  }

  async begin(key: string, entry: Extract<IdempotencyEntry, { state: 'in-flight' }>): Promise<BeginResult> {
    const k = this.#key(key)
    const set = await this.redis.set(k, JSON.stringify(entry), 'PX', this.options.ttlMs, 'NX')
    if (set === 'OK') return { acquired: true }
    const current = await this.redis.get(k)
    // Expired between the two commands: try once more rather than report a phantom conflict.
    if (current === null) return this.begin(key, entry)
    return { acquired: false, existing: JSON.parse(current) as IdempotencyEntry }
  }

  async complete(key: string, token: string, entry: Extract<IdempotencyEntry, { state: 'done' }>): Promise<void> {
    await this.redis.eval(COMPLETE, 1, this.#key(key), token, JSON.stringify(entry), String(this.options.ttlMs))
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.#key(key), token)
  }

  async close(): Promise<void> {
    // The client belongs to the app's redis plugin, which closes it.
  }
}
