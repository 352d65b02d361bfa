import { fstatSync } from 'node:fs'
import { Socket } from 'node:net'
import type { DestinationStream } from 'pino'
import SonicBoomModule, { type SonicBoom as SonicBoomType } from 'sonic-boom'

// sonic-boom is CommonJS: its class is the module itself (the named export exists only in its types).
const SonicBoom = SonicBoomModule as unknown as typeof SonicBoomType

/** Where log lines go, with what it had to drop. */
export interface LogDestination {
  stream: DestinationStream
  /** Lines dropped because the reader fell behind by more than the buffer, or had gone. */
  readonly droppedLines: number
  /** Hands the lines of this turn of the event loop to the descriptor now (before process.exit). */
  flush(): void
  /** Lets buffered lines go out for up to `timeoutMs`, then gives up on them (counted as dropped). */
  settle(timeoutMs: number): Promise<void>
}

function countLines(data: string | Buffer): number {
  const text = typeof data === 'string' ? data : data.toString('utf8')
  let lines = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++
  return Math.max(1, lines)
}

function isPipeOrSocket(fd: number): boolean {
  try {
    const stat = fstatSync(fd)
    return stat.isFIFO() || stat.isSocket()
  } catch {
    return false
  }
}

/**
 * Standard output for pino that can never hold the process: lines wait in memory for a slow
 * reader up to `maxBytes`, then are dropped and counted; a reader that has gone (EPIPE) turns
 * logging off instead of crashing; nothing is flushed synchronously at exit (pino's own
 * destination does, and spins for ever on a reader that stopped reading), so shutdown calls
 * `settle` with a bounded wait instead.
 *
 * A pipe or a socket (a container runtime's log reader, a log shipper) is written through a libuv
 * stream in non-blocking mode on the event loop. A file-system write of a full pipe would block a
 * thread-pool thread inside write(2), and Node's exit waits for that thread: a stalled reader
 * would then keep the process alive past any grace period. The lines of one turn of the event
 * loop go out in one write: a system call per line was the largest cost of a request at `info`.
 * Files and terminals, which do not stall like that, go through sonic-boom (which gathers the
 * lines that arrive while a write is under way).
 */
export function createLogDestination(options: { fd?: number; maxBytes: number }): LogDestination {
  const fd = options.fd ?? 1
  return isPipeOrSocket(fd) ? streamDestination(fd, options.maxBytes) : sonicBoomDestination(fd, options.maxBytes)
}

function streamDestination(fd: number, maxBytes: number): LogDestination {
  let dropped = 0
  let gone = false
  // libuv puts the descriptor in non-blocking mode: a full pipe means buffered bytes, not a stuck write.
  const socket = new Socket({ fd, readable: false, writable: true })
  socket.unref()
  socket.on('error', () => {
    gone = true
  })
  // This turn's lines, written together on the next one (setImmediate runs once per turn).
  let pending = ''
  const flush = () => {
    if (pending === '') return
    const text = pending
    pending = ''
    if (gone) dropped += countLines(text)
    else socket.write(text)
  }
  const stream: DestinationStream = {
    write(line: string) {
      // `length` counts UTF-16 units, not bytes: the bound holds to within that (lines are mostly ASCII).
      if (gone || socket.writableLength + pending.length > maxBytes) {
        dropped += countLines(line)
        return
      }
      if (pending === '') setImmediate(flush)
      pending += line
    }
  }
  return {
    stream,
    get droppedLines() {
      return dropped
    },
    flush,
    async settle(timeoutMs: number) {
      flush()
      if (gone || socket.writableLength === 0) return
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs)
        timer.unref()
        socket.once('drain', () => {
          clearTimeout(timer)
          resolve(true)
        })
      })
      if (!drained) {
        // The reader is stuck: what is still buffered is given up; the exit does not wait for it.
        gone = true
        dropped++
      }
    }
  }
}

function sonicBoomDestination(fd: number, maxBytes: number): LogDestination {
  let dropped = 0
  let gone = false
  const stream = new SonicBoom({
    fd,
    sync: false,
    maxLength: maxBytes,
    // Keep retrying a full descriptor while running; once settling has given up, stop.
    retryEAGAIN: () => !gone
  })
  stream.on('drop', (data: string | Buffer) => {
    dropped += countLines(data)
  })
  stream.on('error', () => {
    // EPIPE: the reader has gone. Anything else: the descriptor is unusable. Either way, stop
    // writing rather than crash a service whose answers do not depend on its logs.
    gone = true
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
    flush() {
      // sonic-boom writes what it holds as soon as its previous write is done.
    },
    async settle(timeoutMs: number) {
      if (gone) return
      const flushed = new Promise<void>((resolve) => {
        try {
          stream.flush(() => resolve())
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
        gone = true
        dropped++
      }
    }
  }
}
