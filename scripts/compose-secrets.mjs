#!/usr/bin/env node
// Creates the secret files that docker-compose.yml mounts under /run/secrets/, in ./secrets/
// (git-ignored, never in the image's build context):
//
//   sectigo_login_password.txt   the simulator account's password (the compose stack's proxy logs in
//                                to the simulator with it, through SECTIGO_LOGIN_PASSWORD_FILE)
//   api_keys.json                API_KEYS for the proxy (through API_KEYS_FILE): one caller "compose"
//                                with both scopes; only the key's SHA-256 is stored
//   sectigo_live_login_password.txt
//                                with --sectigo-password-stdin: the real Sectigo account's password,
//                                for docker-compose.sectigo.yml
//
// The new API key is printed once, alone on stdout; keep it, it cannot be read back.
//
//   node scripts/compose-secrets.mjs [--dir DIR] [--rotate-api-key] [--id NAME]
//   printf '%s' "$PASSWORD" | node scripts/compose-secrets.mjs --sectigo-password-stdin
//
// Plain Node, no dependency: it runs on a fresh clone before `npm ci`.

import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The simulator's account as docker-compose.yml sets it (SIMULATOR_LOGIN_PASSWORD). */
const SIMULATOR_PASSWORD = 'sandbox'
const SCOPES = ['dcv:write', 'replacement:write']
const FILES = {
  sectigoPassword: 'sectigo_login_password.txt',
  apiKeys: 'api_keys.json',
  sectigoLivePassword: 'sectigo_live_login_password.txt'
}

const USAGE = `usage: node scripts/compose-secrets.mjs [--dir DIR] [--rotate-api-key] [--id NAME] [--sectigo-password-stdin]
  --dir DIR                  where to write (default: ./secrets next to docker-compose.yml)
  --rotate-api-key           replace an existing api_keys.json with a new key
  --id NAME                  the caller id of the key (default: compose)
  --sectigo-password-stdin   also write the real Sectigo password, read from stdin, for docker-compose.sectigo.yml`

/** A new API key: 32 random bytes, base64url, with a prefix that secret scanners can recognise. */
function newApiKey() {
  return `spk_${randomBytes(32).toString('base64url')}`
}

/** The API_KEYS JSON for one key: only its SHA-256 is stored. */
function apiKeysJson(key, id = 'compose') {
  const sha256 = createHash('sha256').update(key, 'utf8').digest('hex')
  return `${JSON.stringify([{ id, sha256, scopes: SCOPES }], null, 2)}\n`
}

function parseArgs(argv) {
  const options = { dir: join(REPO, 'secrets'), rotate: false, id: 'compose', passwordFromStdin: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--dir' && argv[i + 1] !== undefined) options.dir = resolve(argv[++i])
    else if (arg === '--id' && argv[i + 1] !== undefined) options.id = argv[++i]
    else if (arg === '--rotate-api-key') options.rotate = true
    else if (arg === '--sectigo-password-stdin') options.passwordFromStdin = true
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else {
      console.error(`compose-secrets: unknown argument ${arg}\n${USAGE}`)
      process.exit(2)
    }
  }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(options.id)) {
    console.error('compose-secrets: --id must be 1 to 64 of A-Z a-z 0-9 . _ -')
    process.exit(2)
  }
  return options
}

// The folder is private (0700); the files in it are 0644 because compose bind-mounts a file
// secret with its host owner and mode, and the container's user (uid 1000) is usually not the
// host user who made it. Nobody else on the host can reach them through the folder.
function writeSecret(dir, name, content) {
  const path = join(dir, name)
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, content, { mode: 0o644 })
  chmodSync(temp, 0o644)
  renameSync(temp, path)
  return path
}

function readStdin() {
  try {
    return readFileSync(0, 'utf8')
  } catch {
    return ''
  }
}

function main() {
  const options = parseArgs(process.argv.slice(2))
  const shown = (path) => relative(process.cwd(), path) || path
  mkdirSync(options.dir, { recursive: true, mode: 0o700 })
  chmodSync(options.dir, 0o700)

  const passwordPath = join(options.dir, FILES.sectigoPassword)
  if (existsSync(passwordPath)) {
    console.error(`kept ${shown(passwordPath)}`)
  } else {
    writeSecret(options.dir, FILES.sectigoPassword, `${SIMULATOR_PASSWORD}\n`)
    console.error(`wrote ${shown(passwordPath)} (the simulator account's password)`)
  }

  if (options.passwordFromStdin) {
    // One trailing newline is dropped, as the service does when it reads the file.
    const password = readStdin().replace(/\r?\n$/, '')
    if (password.length < 1 || password.length > 128 || /[\r\n]/.test(password)) {
      console.error('compose-secrets: the Sectigo password on stdin must be one line of 1 to 128 characters')
      process.exit(1)
    }
    const path = writeSecret(options.dir, FILES.sectigoLivePassword, `${password}\n`)
    console.error(`wrote ${shown(path)} (the Sectigo account's password, for docker-compose.sectigo.yml)`)
  }

  const keysPath = join(options.dir, FILES.apiKeys)
  if (existsSync(keysPath) && !options.rotate) {
    console.error(`kept ${shown(keysPath)}: its key was printed when it was made (--rotate-api-key makes a new one)`)
    return
  }
  const key = newApiKey()
  writeSecret(options.dir, FILES.apiKeys, apiKeysJson(key, options.id))
  console.error(
    `wrote ${shown(keysPath)}: caller "${options.id}", scopes ${SCOPES.join(' ')}. ` +
      'The key follows, shown this once: call the API with "Authorization: Bearer <key>".'
  )
  console.log(key)
}

main()
