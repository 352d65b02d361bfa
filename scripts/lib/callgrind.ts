// Instructions per request, counted by valgrind's callgrind: the one figure of the bench that this
// machine's noise (other processes, frequency changes, a slow VM) does not move. A server runs
// under `valgrind --tool=callgrind --instr-atstart=no` (uninstrumented, so the warm-up is quicker),
// takes a warm-up load until V8 has compiled its hot paths, then callgrind counts every instruction
// of the process (all its threads: JIT, GC) over windows of a fixed number of requests.
//
// V8's memory reducer is off (`--no-memory-reducer`, both sides): it starts collecting and shrinking
// the heap when the allocation rate per second of wall time falls, and valgrind slows the process
// about fifty-fold, which reads as idleness; windows then differed by up to a fifth depending on
// whether the reducer ran during them. Nothing else is changed.

import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startChild, type Child } from './processes.js'

let available: boolean | undefined

/** Whether valgrind with callgrind and callgrind_control can be run here. */
export function callgrindAvailable(): boolean {
  available ??=
    spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('callgrind_control', ['--version'], { stdio: 'ignore' }).status === 0
  return available
}

export interface CallgrindChild extends Child {
  /** Counts the instructions the process runs while `work` runs (the process is zeroed first). */
  count(work: () => Promise<void>): Promise<number>
}

export interface CallgrindOptions {
  name: string
  /** Arguments to node (flags, then the script). */
  args: string[]
  env: Record<string, string>
  /** Ready once this answers 2xx, or once a line matches `readyPattern`. */
  readyUrl?: string
  readyPattern?: RegExp
  /** Where the dump files go (emptied first). */
  dir: string
  /** The core valgrind runs on (it runs the program's threads one at a time). */
  cpu?: number
}

/** Starts `node args` under callgrind, instrumentation off until the first count. */
export async function startUnderCallgrind(options: CallgrindOptions): Promise<CallgrindChild> {
  const dir = join(options.dir, options.name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const child = await startChild({
    name: options.name,
    command: 'valgrind',
    args: [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(dir, 'callgrind.%p.out')}`,
      process.execPath,
      '--no-memory-reducer',
      ...options.args
    ],
    env: options.env,
    ...(options.readyUrl !== undefined ? { readyUrl: options.readyUrl } : {}),
    ...(options.readyPattern !== undefined ? { readyPattern: options.readyPattern } : {}),
    ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
    // Everything is about fifty times slower under valgrind, starting up included.
    readyTimeoutMs: 180_000
  })
  let instrumented = false
  const control = (...args: string[]) => {
    const result = spawnSync('callgrind_control', [...args, String(child.pid)], { encoding: 'utf8', cwd: dir })
    if (result.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} failed: ${result.stderr}${result.stdout}`)
  }
  const dumps = () => readdirSync(dir).filter((f) => /\.out\.\d+$/.test(f))

  return Object.assign(child, {
    async count(work: () => Promise<void>): Promise<number> {
      if (!instrumented) {
        control('--instr=on')
        instrumented = true
      }
      control('--zero')
      await work()
      const before = new Set(dumps())
      control('--dump')
      for (const until = Date.now() + 60_000; ; ) {
        const fresh = dumps().find((f) => !before.has(f))
        if (fresh) {
          // The dump is complete once its summary line is written.
          const text = readFileSync(join(dir, fresh), 'utf8')
          const summary = /^summary: (\d+)$/m.exec(text)?.[1]
          if (summary !== undefined) return Number(summary)
        }
        if (Date.now() > until) throw new Error(`callgrind wrote no dump for ${options.name}`)
        await sleep(100)
      }
    }
  })
}
