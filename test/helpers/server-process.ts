import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

export interface ServerProcess {
  child: ChildProcess
  url: string
  lines: string[]
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>
}

/** Starts `entry` (src/server.ts by default) through tsx, and waits until it listens. */
export async function startServer(env: Record<string, string>, entry = 'src/server.ts'): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${lines.join('\n')}`)), 40_000)
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line)
        const match = /"msg":"Server listening at (http:\/\/[^\s"]+)/.exec(line)
        if (match?.[1]) {
          clearTimeout(timer)
          resolve(match[1])
        }
      })
    }
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${lines.join('\n')}`)))
  })
  return { child, url, lines, exited }
}
