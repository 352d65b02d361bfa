import SonicBoomModule, { type SonicBoom as SonicBoomType } from 'sonic-boom'

// sonic-boom is CommonJS: its class is the module itself (the named export exists only in its types).
const SonicBoom = SonicBoomModule as unknown as typeof SonicBoomType
type SonicBoom = SonicBoomType

/** Where log lines go, with what it had to drop. */
export interface LogDestination {
  stream: SonicBoom
  /** Lines dropped because the reader fell behind by more than the buffer, or had gone. */
  readonly droppedLines: number
  /** Lets buffered lines go out for up to `timeoutMs`, then gives up on them (counted as dropped). */
  settle(timeoutMs: number): Promise<void>
}

function countLines(data: string | Buffer): number {
  const text = typeof data === 'string' ? data : data.toString('utf8')
  let lines = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++
  return Math.max(1, lines)
}

/**
 * Standard output for pino that can never hold the process: lines wait in memory for a slow
 * reader up to `maxBytes`, then are dropped and counted; a reader that has gone (EPIPE) turns
 * logging off instead of crashing. pino's own destination flushes synchronously at exit and, with
 * a reader that stopped reading, spins on EAGAIN for ever: this one is given to pino ready-made,
 * so pino registers no exit flush, and shutdown calls `settle` with a bounded wait instead.
 */
export function createLogDestination(options: { fd?: number; maxBytes: number }): LogDestination {
  let dropped = 0
  let gone = false
  const stream = new SonicBoom({
    fd: options.fd ?? 1,
    sync: false,
    maxLength: options.maxBytes,
    // Keep retrying a full pipe while running; once settling has given up, stop.
    retryEAGAIN: () => !gone
  })
  stream.on('drop', (data: string | Buffer) => {
    dropped += countLines(data)
  })
  stream.on('error', () => {
    // EPIPE: the reader has gone. Anything else: the descriptor is unusable. Either way, stop
    // writing rather than crash a service whose answers do not depend on its logs.
    gone = true
    const pending = (stream as unknown as { _len?: number })._len ?? 0
    if (pending > 0) dropped++
    stream.write = (data: string) => {
      dropped += countLines(data)
      return true
    }

  })

  return {
    stream,
    get droppedLines() {
      return dropped
    },
    async settle(timeoutMs: number) {
      if (gone) return
      const flushed = new Promise<void>((resolve) => {
        try {
          stream.flush((err) => (err ? resolve() : resolve()))
        } catch {
          resolve()
        }
      })
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs)
        timer.unref()
      })
      const result = await Promise.race([flushed, late])
      clearTimeout(timer)
      if (result === 'late') {
        // The reader is stuck: what is still buffered is given up, so the exit cannot block on it.
        gone = true
        dropped++
      }
    }
  }
}
