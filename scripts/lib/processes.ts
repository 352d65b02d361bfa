// Child processes for the bench and the soak: started on loopback, pinned to a core when asked,
// found ready by a line they print, measured through /proc, and always stopped by their own pid.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { cpus } from 'node:os'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Child {
  name: string
  child: ChildProcess
  pid: number
  /** What the ready pattern's first group captured (a port, a URL). */
  ready: string
  /** The last lines of stderr (and of stdout when piped), for error messages. */
  tail: string[]
  exited: Promise<number | string>
  stop(timeoutMs?: number): Promise<number | string>
}

export interface ChildOptions {
  name: string
  /** Arguments to node (the script and its flags), or to `command`. */
  args: string[]
  /** What to run instead of this process's node (for instance valgrind, with node among its arguments). */
  command?: string
  env: Record<string, string>
  /** `taskset -c <cpu>`: the core the process (and all its threads) may run on. */
  cpu?: number
  /** Where stdout goes: piped and watched (default), or appended to this file. */
  stdoutFile?: string
  /**
   * Every chunk of a piped stdout, raw. With it, stdout is split into lines only until the child
   * is ready: a busy server's log costs the reader little more than the pipe.
   */
  onStdout?: (chunk: Buffer) => void
  /** Matched against each line (of stdout, stderr or the stdout file); group 1 is `ready`. */
  readyPattern?: RegExp
  /**
   * Instead of a line: polled until it answers 2xx, and then `ready` (for a server whose log level
   * prints no line when it listens).
   */
  readyUrl?: string
  readyTimeoutMs?: number
}

const started = new Set<Child>()

// Whatever happens to the parent, its children do not outlive it.
process.on('exit', () => {
  for (const c of started) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL')
})

/** Stops every child still running (a failure part-way leaves no process behind). */
export async function stopAll(timeoutMs = 3000): Promise<void> {
  await Promise.all([...started].map((c) => c.stop(timeoutMs)))
}

let tasksetChecked: boolean | undefined
export function canPin(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0 && cpus().length >= 2
  return tasksetChecked
}

/** Pins the calling process and all its threads to one core (the load generator's). */
export function pinSelf(cpu: number): boolean {
  if (!canPin()) return false
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)]).status === 0
}

export async function startChild(options: ChildOptions): Promise<Child> {
  const program = options.command ?? process.execPath
  const command = options.cpu !== undefined && canPin() ? 'taskset' : program
  const args = command === 'taskset' ? ['-c', String(options.cpu), program, ...options.args] : options.args
  const outFd = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'a')
  // Only what this child writes counts: the file may hold an earlier run's lines.
  let offset = outFd === undefined ? 0 : fstatSync(outFd).size
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', outFd ?? 'pipe', 'pipe']
  })
  if (outFd !== undefined) closeSync(outFd)
  const tail: string[] = []
  const remember = (line: string) => {
    tail.push(line)
    if (tail.length > 40) tail.shift()
  }
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)

  const ready = await new Promise<string>((resolve, reject) => {
    let done = false
    const finish = (err: Error | undefined, value = '') => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearInterval(poll)
      if (err) reject(err)
      else resolve(value)
    }
    const look = (line: string) => {
      const match = options.readyPattern?.exec(line)
      if (match) finish(undefined, match[1] ?? '')
    }
    if (options.readyUrl !== undefined) {
      const url = options.readyUrl
      const probe = (): void => {
        if (done) return
        fetch(url).then(
          (res) => (res.ok ? finish(undefined, url) : setTimeout(probe, 50)),
          () => setTimeout(probe, 50)
        )
      }
      probe()
    }
    const timer = setTimeout(
      () => finish(new Error(`${options.name} did not start within ${options.readyTimeoutMs ?? 20_000} ms:\n${tail.join('\n')}`)),
      options.readyTimeoutMs ?? 20_000
    )
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        remember(line)
        if (!done) look(line)
      })
    }
    if (child.stdout && options.onStdout) {
      const onStdout = options.onStdout
      let partial = ''
      child.stdout.on('data', (chunk: Buffer) => {
        onStdout(chunk)
        if (done) return
        const lines = (partial + chunk.toString('utf8')).split('\n')
        partial = lines.pop() ?? ''
        for (const line of lines) {
          remember(line)
          look(line)
        }
      })
    } else if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        remember(line)
        if (!done) look(line)
      })
    }
    // A log file is read until the ready line shows, then left alone.
    const poll = setInterval(() => {
      if (options.stdoutFile === undefined) return
      const text = readFileSync(options.stdoutFile).subarray(offset)
      const end = text.lastIndexOf(10) + 1
      for (const line of text.subarray(0, end).toString('utf8').split('\n')) {
        if (line === '') continue
        remember(line)
        look(line)
      }
      offset += end
    }, 50)
    void exited.then((code) => finish(new Error(`${options.name} exited (${code}) before it was ready:\n${tail.join('\n')}`)))
  })

  const entry: Child = {
    name: options.name,
    child,
    pid: child.pid ?? -1,
    ready,
    tail,
    exited,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
        await exited
        clearTimeout(timer)
      }
      started.delete(entry)
      return exited
    }
  }
  started.add(entry)
  return entry
}

/** Resident set size in MiB, from /proc/<pid>/status (VmRSS). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`)
  return Number(kb) / 1024
}

/** Samples a process's RSS every `intervalMs` until stopped: the peak and the last value. */
export function sampleRss(pid: number, intervalMs = 250): { stop(): { peak: number; last: number } } {
  let peak = rssMiB(pid)
  let last = peak
  const timer = setInterval(() => {
    try {
      last = rssMiB(pid)
      peak = Math.max(peak, last)
    } catch {
      // The process ended; keep the last figures.
    }
  }, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      try {
        last = rssMiB(pid)
        peak = Math.max(peak, last)
      } catch {
        // as above
      }
      return { peak, last }
    }
  }
}

/** The unit of the tick counts in /proc (USER_HZ, 100 on Linux in practice). */
export const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

/** CPU time (clock ticks, user + system, all threads) of one process; 0 once it is gone. */
export function processCpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}

/** CPU time (clock ticks, user + system, all threads) of this process and of every child it started. */
export function ownCpuTicks(): number {
  let total = 0
  for (const pid of [process.pid, ...[...started].map((c) => c.pid)]) total += processCpuTicks(pid)
  return total
}

/** Busy share of each core between two snapshots of /proc/stat. */
export function cpuSnapshot(): number[][] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1).map(Number))
}

/**
 * Process time (user, nice, system; not interrupts or steal) over all cores between two
 * snapshots, and the ticks that elapsed per core: compared with `ownCpuTicks`, what others used.
 */
export function busyTicks(before: number[][], after: number[][]): { busy: number; elapsedPerCore: number } {
  let busy = 0
  let elapsed = 0
  after.forEach((now, i) => {
    const then = before[i] ?? now.map(() => 0)
    const delta = now.map((v, j) => v - (then[j] ?? 0))
    const total = delta.reduce((a, b) => a + b, 0)
    busy += (delta[0] ?? 0) + (delta[1] ?? 0) + (delta[2] ?? 0)
    elapsed = Math.max(elapsed, total)
  })
  return { busy, elapsedPerCore: elapsed }
}

export function cpuBusy(before: number[][], after: number[][]): number[] {
  return after.map((now, i) => {
    const then = before[i] ?? now.map(() => 0)
    const delta = now.map((v, j) => v - (then[j] ?? 0))
    const total = delta.reduce((a, b) => a + b, 0)
    // idle + iowait
    const idle = (delta[3] ?? 0) + (delta[4] ?? 0)
    return total === 0 ? 0 : (total - idle) / total
  })
}

export interface Machine {
  cpu: string
  cores: number
  node: string
  kernel: string
}

export function machine(): Machine {
  const info = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown'
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
  return { cpu: model, cores: cpus().length, node: process.version, kernel }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Polls `url` until it answers 2xx. */
export async function waitForHttp(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`)
    await sleep(50)
  }
}
