// Child processes with a time bound, and the small HTTP client the container test calls with.
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { clearTimeout, setTimeout } from 'node:timers'

/**
 * Runs a command to its end (or kills it after `timeoutMs`) and collects its output.
 * Never throws: a command that cannot start answers code null with the error in `stderr`.
 */
export function run(command, args, { timeoutMs = 60_000, input, env, cwd, echo = false } = {}) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(command, args, { env: env ?? process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (echo) process.stdout.write(chunk)
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      if (echo) process.stderr.write(chunk)
    })
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ code: null, stdout, stderr: `${stderr}${err.message}`, ms: Date.now() - started, timedOut })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? null, signal, stdout, stderr, ms: Date.now() - started, timedOut })
    })
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? '')
  })
}

/** The last lines of a command's output, for a failure message. */
export function tail(result, lines = 15) {
  return `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-lines).join('\n')
}

/** A free loopback TCP port (the kernel's choice, released at once). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** One HTTP call to 127.0.0.1; resolves with the status (0 on a transport error) and the body. */
export function httpCall({ port, method = 'GET', path, headers = {}, body, timeoutMs = 10_000 }) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        timeout: timeoutMs,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}), ...headers }
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        res.on('error', (err) => resolve({ status: 0, text, error: err.message }))
      }
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (err) => resolve({ status: 0, text: '', error: err.message }))
    req.end(payload)
  })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function waitFor(probe, { timeoutMs, intervalMs = 100 }) {
  const deadline = Date.now() + timeoutMs
  let value
  do {
    value = await probe()
    if (value) return value
    await sleep(intervalMs)
  } while (Date.now() < deadline)
  return value
}
