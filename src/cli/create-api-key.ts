import { createHash, randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { API_KEY_ID_PATTERN, API_KEY_ID_RULE, SCOPES, parseApiKeys, type Scope } from '../config/api-keys.js'

/**
 * Prints a new random key (shown once: only its hash is ever configured) and its API_KEYS entry.
 * From the repository: `npm run create-api-key -- --id NAME --scopes …` (tsx, no build);
 * in the image, or after `npm run build`: `node dist/cli/create-api-key.js --id NAME --scopes …`.
 */
function main(argv: string[]): number {
  let values: { id?: string; scopes?: string; help?: boolean }
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: { id: { type: 'string' }, scopes: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
    }))
  } catch (err) {
    process.stderr.write(`create-api-key: ${(err as Error).message}\n`)
    return 2
  }
  const usage =
    `usage: create-api-key --id NAME --scopes ${SCOPES.join(',')}\n` +
    '  from the repository: npm run create-api-key -- --id NAME --scopes …\n' +
    '  in the image:        docker run --rm sectigo-proxy node dist/cli/create-api-key.js --id NAME --scopes …\n'
  if (values.help) {
    process.stdout.write(usage)
    return 0
  }
  if (!values.id || !values.scopes) {
    process.stderr.write(usage)
    return 2
  }
  if (!new RegExp(API_KEY_ID_PATTERN).test(values.id)) {
    process.stderr.write(`create-api-key: --id ${JSON.stringify(values.id)} is not a valid id: ${API_KEY_ID_RULE}\n`)
    return 2
  }
  const scopes = values.scopes.split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s))
  if (unknown.length > 0) {
    process.stderr.write(`create-api-key: unknown scope ${unknown.join(', ')} (known: ${SCOPES.join(', ')})\n`)
    return 2
  }
  // 32 random bytes: a key cannot be guessed, so a fast hash is enough to store it.
  const key = `spk_${randomBytes(32).toString('base64url')}`
  const entry = { id: values.id, sha256: createHash('sha256').update(key).digest('hex'), scopes: [...new Set(scopes)] as Scope[] }
  try {
    parseApiKeys(JSON.stringify([entry]))
  } catch (err) {
    process.stderr.write(`create-api-key: ${(err as Error).message}\n`)
    return 2
  }
  process.stdout.write(`key: ${key}\nentry: ${JSON.stringify(entry)}\n`)
  process.stderr.write('Give the key to the caller once; add the entry to API_KEYS (or the API_KEYS_FILE array). The key itself is not stored anywhere.\n')
  return 0
}

process.exitCode = main(process.argv.slice(2))
