import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'undici'

// The standalone entry, run as a real process (through tsx, so no build is needed).
function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/server.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  return { child, exited, output: () => ({ stdout, stderr }) }
}

async function listeningOrigin(child: ReturnType<typeof start>): Promise<string> {
  for (;;) {
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(child.output().stdout)
    if (match?.[1]) return match[1]
    await Promise.race([once(child.child.stdout, 'data'), child.exited.then(() => Promise.reject(new Error(child.output().stderr)))])
  }
}

describe('npm run simulator (src/simulator/server.ts)', () => {
  it('serves the endpoints with the configured account, logs JSON, and exits 0 on SIGTERM', async () => {
    const server = start({ SIMULATOR_PORT: '0', SIMULATOR_LOGIN_NAME: 'demo', SIMULATOR_LOGIN_PASSWORD: 'hunter2-secret', SIMULATOR_SLOW_MS: '10' })
    const origin = await listeningOrigin(server)
    const response = await request(`${origin}/products/!AutoUpdateDCV`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'loginName=demo&loginPassword=hunter2-secret&orderNumber=1000001&newMethod=CNAME_CSR_HASH'
    })
    expect(await response.body.text()).toBe('errorCode=0')
    server.child.kill('SIGTERM')
    const [code] = await server.exited
    expect(code).toBe(0)
    const lines = server.output().stdout.trim().split('\n')
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow()
    expect(server.output().stdout).not.toContain('hunter2-secret')
  })

  it('refuses a bad variable with exit code 1 and one line naming it, without its value', async () => {
    const server = start({ SIMULATOR_PORT: 'eighty' })
    const [code] = await server.exited
    expect(code).toBe(1)
    const { stderr } = server.output()
    expect(stderr.trim().split('\n')).toEqual(['sectigo-simulator: configuration error: SIMULATOR_PORT must be an integer from 0 to 65535'])
  })
})
