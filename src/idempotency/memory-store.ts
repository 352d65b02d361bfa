import { StoreFullError, type BeginResult, type IdempotencyEntry, type IdempotencyStore } from './store.js'

type InFlight = Extract<IdempotencyEntry, { state: 'in-flight' }>
type Done = Extract<IdempotencyEntry, { state: 'done' }>

/**
 * What one record holds on V8's heap besides the characters `recordBytes` counts: the Map slot and
 * the Map's spare capacity, the record's objects (holder, entry, response, headers), boxed numbers
 * (timestamps are too large for small integers), string headers and padding, the key's two-part
 * string (`caller:` + hash, as the plugin builds it).
 *
 * Measured, not guessed: `node --expose-gc --import tsx scripts/idempotency-record-size.ts` stores
 * 8,193 to 131,073 records built as the plugin builds them in a fresh store and takes the heap used
 * after a full GC, before and after, less the counted characters, divided by the count. Counts just
 * past a doubling of the Map, and a Map left at a quarter full after releases, give the most spare
 * capacity. Largest results, done records with both replayed headers: 501 bytes on Node 24.22 (the
 * image's runtime), 447 on Node 20.20 (x64); in-flight records 314 and 306; done records without
 * headers 393 and 339. Bodies of 200 to 20,000 characters add one byte per Latin-1 character and
 * two per character otherwise, as `stringBytes` counts. One figure for every record, rounded up.
 *
 * It is an upper bound, on purpose: through the service itself (the same script, 20,000 keyed DCV
 * and replacement calls with small answers, whose content type is one shared string and which
 * have no replayed headers) the heap grew 420 to 497 bytes per record while the estimate grew 761.
 */
export const RECORD_OVERHEAD_BYTES = 512

/**
 * Room set aside at `begin` for the answer of each call in flight, so that `complete` finds it.
 * Answers are small: a DCV answer or a problem is a few hundred bytes, a replacement with CSR-hash
 * instructions for a handful of domains about a kilobyte. The largest a successful replacement can
 * give (instructions for 250 domains whose names fill the 32,767 characters of `domainNames`) is
 * 121,252 one-byte characters (the same script), but setting that aside for every call in flight
 * would reserve 27.5 MiB for the 220 calls the default queue admits and refuse keys in a burst
 * while the store is nearly empty. An answer over the allowance is stored all the same, and only
 * such answers can take the store past its bound, by what they exceed it (see the class).
 */
export const ANSWER_ALLOWANCE_BYTES = 16 * 1024

const NOT_LATIN1 = /[^\u0000-\u00ff]/

/**
 * Bytes V8 keeps for a string's characters. A string whose characters are all Latin-1 (U+0000 to
 * U+00FF) is stored one byte per character; any other character makes the whole string two bytes
 * per character (UTF-16). This test is the only look at the characters, and for a one-byte string
 * it returns at once whatever the length (about 0.1 µs: V8 knows the pattern cannot match one); a
 * two-byte string is scanned up to its first character above U+00FF. A two-byte string holding only
 * Latin-1 characters (rare: a piece cut from a two-byte string) is counted at half its size.
 */
export function stringBytes(text: string): number {
  return NOT_LATIN1.test(text) ? text.length * 2 : text.length
}

/**
 * The estimated heap size of one record: the fixed overhead plus its strings, from their lengths.
 * The answer allowance of an in-flight record is not included.
 */
export function recordBytes(key: string, entry: IdempotencyEntry): number {
  let bytes = RECORD_OVERHEAD_BYTES + stringBytes(key) + stringBytes(entry.fingerprint)
  if (entry.state === 'in-flight') return bytes + stringBytes(entry.token)
  const response = entry.response
  bytes += stringBytes(response.contentType) + stringBytes(response.body)
  if (response.headers) for (const name in response.headers) bytes += stringBytes(response.headers[name] ?? '')
  return bytes
}

export interface MemoryStoreOptions {
  ttlMs: number
  maxEntries: number
  /** The bound on `bytes`; see the class comment for what exactly it guarantees. */
  maxBytes: number
  /** Room set aside per call in flight for its answer; ANSWER_ALLOWANCE_BYTES by default. */
  answerAllowanceBytes?: number
  now?: () => number
}

interface Held {
  entry: IdempotencyEntry
  expiresAt: number
  /** What this record counts in `bytes`: its size, plus the answer allowance while in flight. */
  bytes: number
}

/**
 * One replica's store, bounded in entries and in estimated bytes. Only expired records are evicted
 * (an entry that still protects a caller from a double replacement is never dropped), so a store
 * full of live records refuses new keys (`StoreFullError`).
 *
 * `bytes` counts every done record's size and every in-flight record's size plus the answer
 * allowance. `begin` admits a key only if `bytes`, with the new record and its allowance, stays
 * within `maxBytes`; `complete` always stores the answer (the call was sent: losing its answer
 * could send it twice), replacing the in-flight record and its allowance by the done record. So:
 *
 * - an answer that fits its allowance (content type, body and header values within the allowance
 *   plus the 36 characters of the token it replaces) never raises `bytes`: while every answer
 *   fits, `bytes` ≤ `maxBytes` at every moment;
 * - an answer that does not is stored all the same, past the bound if need be. At every moment
 *   `bytes` ≤ `maxBytes` + the sum, over the calls that were in flight when the last key was
 *   admitted, of what each one's done record exceeds its in-flight record plus allowance: at most
 *   N × (largest answer − allowance), N being the calls in flight at that admission. Past
 *   `maxBytes`, no key is admitted until expiries make room again.
 *
 * The sizes are estimates from string lengths (`recordBytes`), not a measurement of the heap.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, Held>()
  readonly #allowance: number
  #bytes = 0
  /** No record expires before this (a lower bound): a full store is not swept again until then. */
  #nothingExpiresBefore = Infinity

  constructor(private readonly options: MemoryStoreOptions) {
    this.#allowance = options.answerAllowanceBytes ?? ANSWER_ALLOWANCE_BYTES
  }

  get size(): number {
    return this.#entries.size
  }

  /** The estimated bytes of the records, with the answer allowance of each call in flight. */
  get bytes(): number {
    return this.#bytes
  }

  #now(): number {
    return this.options.now?.() ?? Date.now()
  }

  #drop(key: string, held: Held): void {
    this.#entries.delete(key)
    this.#bytes -= held.bytes
  }

  #live(key: string): Held | undefined {
    const held = this.#entries.get(key)
    if (!held) return undefined
    if (held.expiresAt <= this.#now()) {
      this.#drop(key, held)
      return undefined
    }
    return held
  }

  #expiresAt(): number {
    const expiresAt = this.#now() + this.options.ttlMs
    if (expiresAt < this.#nothingExpiresBefore) this.#nothingExpiresBefore = expiresAt
    return expiresAt
  }

  #fits(bytes: number): boolean {
    return this.#entries.size < this.options.maxEntries && this.#bytes + bytes <= this.options.maxBytes
  }

  /** Drops the expired records; nothing when none can have expired since the last sweep. */
  #sweep(): void {
    const now = this.#now()
    if (now < this.#nothingExpiresBefore) return
    let next = Infinity
    for (const [key, held] of this.#entries) {
      if (held.expiresAt <= now) this.#drop(key, held)
      else if (held.expiresAt < next) next = held.expiresAt
    }
    this.#nothingExpiresBefore = next
  }

  async begin(key: string, entry: InFlight): Promise<BeginResult> {
    const existing = this.#live(key)
    if (existing) return { acquired: false, existing: existing.entry }
    const bytes = recordBytes(key, entry) + this.#allowance
    if (!this.#fits(bytes)) {
      this.#sweep()
      if (!this.#fits(bytes)) throw new StoreFullError()
    }
    this.#entries.set(key, { entry, expiresAt: this.#expiresAt(), bytes })
    this.#bytes += bytes
    return { acquired: true }
  }

  async complete(key: string, token: string, entry: Done): Promise<void> {
    const held = this.#live(key)
    if (held?.entry.state !== 'in-flight' || held.entry.token !== token) return
    // Never refused: the call was sent, and its answer is what keeps it from being sent again.
    const bytes = recordBytes(key, entry)
    this.#bytes += bytes - held.bytes
    held.entry = entry
    held.expiresAt = this.#expiresAt()
    held.bytes = bytes
  }

  async release(key: string, token: string): Promise<void> {
    const held = this.#live(key)
    if (held?.entry.state === 'in-flight' && held.entry.token === token) this.#drop(key, held)
  }

  async close(): Promise<void> {
    this.#entries.clear()
    this.#bytes = 0
    this.#nothingExpiresBefore = Infinity
  }
}
