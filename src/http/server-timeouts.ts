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

/** The socket stays open for up to three attempts of a slow upstream, plus margin. */
export function connectionTimeoutMs(upstreamTimeoutMs: number): number {
  return upstreamTimeoutMs * 3 + 30_000
}
