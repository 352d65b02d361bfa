/** The inbound timeouts the README documents; each holds within a second. */
export const HEADERS_TIMEOUT_MS = 15_000
export const REQUEST_TIMEOUT_MS = 30_000
export const KEEP_ALIVE_TIMEOUT_MS = 72_000

/**
 * Node checks the headers and request timeouts only on a timer, every 30 s by default: headers
 * sent at one byte a second were cut after about 34 s, not 15. Checking twice a second makes both
 * hold within half a second; the check walks the open connections, which is cheap.
 */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 500

/** A caller's socket stays open for the longest call the service can make (see call-budget.ts), plus margin. */
export function connectionTimeoutMs(longestCallMs: number): number {
  return longestCallMs + 30_000
}
