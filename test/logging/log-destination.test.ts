import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogDestination, type LogDestination } from '../../src/logging/log-destination.js'

let dir: string
let reader: number
let writer: number

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'log-destination-'))
  const fifo = join(dir, 'log')
  execFileSync('mkfifo', [fifo])
  // The reader first, non-blocking, so that opening the writer does not wait for it.
  reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  writer = openSync(fifo, 'w')
})

afterEach(() => {
  closeSync(reader)
  rmSync(dir, { recursive: true, force: true })
})

/** What the pipe holds right now. */
function drain(): string {
  const buffer = Buffer.alloc(1 << 20)
  try {
    const n = readSync(reader, buffer, 0, buffer.length, null)
    return buffer.subarray(0, n).toString('utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return ''
    throw err
  }
}

const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `{"msg":"${tag} ${i}"}\n`)

describe('the log destination on a pipe', () => {
  let destination: LogDestination

  beforeEach(() => {
    destination = createLogDestination({ fd: writer, maxBytes: 1 << 20 })
  })

  it('hands the lines of one turn of the event loop to the pipe together, on the next turn', async () => {
    const batch = lines(200, 'a')
    for (const line of batch) destination.stream.write(line)
    expect(drain()).toBe('')
    await nextTurn()
    expect(drain()).toBe(batch.join(''))
  })

  it('writes at once on flush, as before process.exit', () => {
    destination.stream.write('{"msg":"fatal"}\n')
    destination.flush()
    expect(drain()).toBe('{"msg":"fatal"}\n')
  })

  it('drops and counts lines past the buffer while the reader does not read, and settles in bounded time', async () => {
    const small = createLogDestination({ fd: writer, maxBytes: 65_536 })
    // Far more than a pipe (64 KiB) and the buffer together hold.
    for (let turn = 0; turn < 40; turn++) {
      for (const line of lines(500, `t${turn}`)) small.stream.write(line)
      await nextTurn()
    }
    expect(small.droppedLines).toBeGreaterThan(0)
    const started = Date.now()
    await small.settle(200)
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
