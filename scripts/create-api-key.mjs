#!/usr/bin/env node
// `npm run create-api-key -- --id NAME --scopes …` from the repository, without a TypeScript
// build per run: the compiled CLI in dist/ when it is at least as new as its sources (any
// `npm start` or `npm run build` leaves it so), else the sources through tsx. The image has no
// npm and no sources: there, `node dist/cli/create-api-key.js …` is the command.
import { spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const built = `${root}dist/cli/create-api-key.js`
const sources = ['src/cli/create-api-key.ts', 'src/config/api-keys.ts'].map((p) => `${root}${p}`)

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs
  } catch {
    return undefined
  }
}
const builtAt = mtime(built)
const fresh = builtAt !== undefined && sources.every((s) => (mtime(s) ?? Infinity) <= builtAt)
const args = fresh ? [built] : ['--import', 'tsx', sources[0]]
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' })
process.exitCode = result.status ?? 1
