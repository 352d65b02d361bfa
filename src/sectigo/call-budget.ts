import { RETRY_POLICY, type RetryPolicy } from './fields.js'

/** At most this many more attempts after the first, as the endpoint's retry policy allows. */
export const MAX_RETRIES = 2
/** The first retry's delay; each later one doubles. Jittered from 50 % to 150 %. */
export const RETRY_DELAY_MS = 200

/** The three phases of a call that have a bound (SECTIGO_QUEUE_TIMEOUT_MS, _CONNECT_TIMEOUT_MS, _TIMEOUT_MS). */
export interface CallBounds {
  queueTimeoutMs: number
  connectTimeoutMs: number
  timeoutMs: number
}

/** The longest the jittered back-off between attempts can add up to. */
export function longestBackoffMs(retryDelayMs = RETRY_DELAY_MS): number {
  let total = 0
  for (let retry = 1; retry <= MAX_RETRIES; retry++) total += retryDelayMs * 2 ** (retry - 1) * 1.5
  return total
}

/**
 * The longest one call under `policy` can stay in flight: the wait for a connection, then every
 * attempt the policy allows. A write retried only when nothing was sent can fail to connect
 * three times but be written once; a read can be written (and time out) three times.
 */
export function longestCallMs(bounds: CallBounds, policy: RetryPolicy): number {
  const { queueTimeoutMs, connectTimeoutMs, timeoutMs } = bounds
  switch (policy) {
    case 'never':
      return queueTimeoutMs + connectTimeoutMs + timeoutMs
    case 'not-sent':
      return queueTimeoutMs + (MAX_RETRIES + 1) * connectTimeoutMs + longestBackoffMs() + timeoutMs
    case 'transport':
      return queueTimeoutMs + (MAX_RETRIES + 1) * (connectTimeoutMs + timeoutMs) + longestBackoffMs()
  }
}

/**
 * The one figure that sizes everything that must outlive a call: the shortest idempotency
 * retention accepted, the age at which an in-flight record's owner is taken for dead, and the
 * default shutdown grace. The longest call of any write: a write cut short leaves an unknown
 * outcome, while a read (retried on timeouts, so longer) changes nothing and is simply asked again.
 */
export function longestInFlightMs(bounds: CallBounds): number {
  return longestOf(bounds, (policy) => policy !== 'transport')
}

/** The longest call of any endpoint, reads included: how long a caller's socket may stay silent. */
export function longestAnyCallMs(bounds: CallBounds): number {
  return longestOf(bounds, () => true)
}

function longestOf(bounds: CallBounds, include: (policy: RetryPolicy) => boolean): number {
  const policies = [...new Set(Object.values(RETRY_POLICY))].filter(include)
  return Math.ceil(Math.max(...policies.map((policy) => longestCallMs(bounds, policy))))
}
