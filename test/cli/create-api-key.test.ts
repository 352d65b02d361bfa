import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parseApiKeys } from '../../src/config/api-keys.js'

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['scripts/create-api-key.mjs', ...args], { timeout: 30_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err
  )

describe('create-api-key', () => {
  it('prints a key and the entry that accepts it', async () => {
    const { code, stdout } = await run(['--id', 'billing-app', '--scopes', 'dcv:write,replacement:write'])
    expect(code).toBe(0)
    const key = /^key: (spk_[A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1] ?? ''
    const entry = /^entry: (.*)$/m.exec(stdout)?.[1] ?? ''
    const [parsed] = parseApiKeys(`[${entry}]`)
    expect(parsed).toEqual({ id: 'billing-app', sha256: createHash('sha256').update(key).digest('hex'), scopes: ['dcv:write', 'replacement:write'] })
  })

  it('says what an id may contain', async () => {
    const { code, stdout, stderr } = await run(['--id', 'bad id', '--scopes', 'dcv:write'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('letters A-Z and a-z, digits, dots, underscores and hyphens (no spaces)')
  })

  it('names the unknown scope', async () => {
    const { code, stderr } = await run(['--id', 'x', '--scopes', 'dcv:delete'])
    expect(code).toBe(2)
    expect(stderr).toContain('unknown scope dcv:delete')
  })
})
