/** A finished answer, replayed as it was given. */
export interface StoredResponse {
  status: number
  contentType: string
  body: string
  /** The headers a client acts on (`retry-after`, `location`), when the answer had them. */
  headers?: Record<string, string>
}

export type IdempotencyEntry =
  | { state: 'in-flight'; fingerprint: string; startedAt: number; token: string }
  | { state: 'done'; fingerprint: string; response: StoredResponse }

export type BeginResult = { acquired: true } | { acquired: false; existing: IdempotencyEntry }

/**
 * Where Idempotency-Key records live: `memory` for one replica, `redis` for several. `begin`
 * writes the in-flight record atomically (only if none exists) with the full retention, so that
 * one call, and only one, goes upstream per key.
 */
export interface IdempotencyStore {
  begin(key: string, entry: Extract<IdempotencyEntry, { state: 'in-flight' }>): Promise<BeginResult>
  /** Replaces our in-flight record (matched by token) with the answer. */
  complete(key: string, token: string, entry: Extract<IdempotencyEntry, { state: 'done' }>): Promise<void>
  /** Drops our in-flight record (matched by token): the request was refused before any call. */
  release(key: string, token: string): Promise<void>
  close(): Promise<void>
}

/** The memory store is full (in entries or estimated bytes) of records that have not expired: new keys are refused. */
export class StoreFullError extends Error {
  constructor() {
    super('idempotency store is full')
    this.name = 'StoreFullError'
  }
}
