import { StoreFullError, type BeginResult, type IdempotencyEntry, type IdempotencyStore } from './store.js'

/**
 * One replica's store: at most `maxEntries` records. Only expired records are evicted (an entry
 * that still protects a caller from a double replacement is never dropped), so a store full of
 * live records refuses new keys.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, { entry: IdempotencyEntry; expiresAt: number }>()

  constructor(
    private readonly options: { ttlMs: number; maxEntries: number; now?: () => number }
  ) {}

  get size(): number {
    return this.#entries.size
  }

  #now(): number {
    return this.options.now?.() ?? Date.now()
  }

  #live(key: string): IdempotencyEntry | undefined {
    const held = this.#entries.get(key)
    if (!held) return undefined
    if (held.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return held.entry
  }

  #sweep(): void {
    const now = this.#now()
    for (const [key, held] of this.#entries) if (held.expiresAt <= now) this.#entries.delete(key)
  }

  async begin(key: string, entry: Extract<IdempotencyEntry, { state: 'in-flight' }>): Promise<BeginResult> {
    const existing = this.#live(key)
    if (existing) return { acquired: false, existing }
    if (this.#entries.size >= this.options.maxEntries) {
      this.#sweep()
      if (this.#entries.size >= this.options.maxEntries) throw new StoreFullError()
    }
    this.#entries.set(key, { entry, expiresAt: this.#now() + this.options.ttlMs })
    return { acquired: true }
  }

  async complete(key: string, token: string, entry: Extract<IdempotencyEntry, { state: 'done' }>): Promise<void> {
    const current = this.#live(key)
    if (current?.state !== 'in-flight' || current.token !== token) return
    this.#entries.set(key, { entry, expiresAt: this.#now() + this.options.ttlMs })
  }

  async release(key: string, token: string): Promise<void> {
    const current = this.#live(key)
    if (current?.state === 'in-flight' && current.token === token) this.#entries.delete(key)
  }

  async close(): Promise<void> {
    this.#entries.clear()
  }
}
