import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

// Each scope stands alone: `dcv:write` does not imply `dcv:read`; a key lists every scope it needs.
export const SCOPES = ['dcv:write', 'replacement:write', 'dcv:read', 'orders:read'] as const
export type Scope = (typeof SCOPES)[number]

/** What a key id may be, as a pattern and in words. */
export const API_KEY_ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$'
export const API_KEY_ID_RULE = 'an id is 1 to 64 characters: letters A-Z and a-z, digits, dots, underscores and hyphens (no spaces)'

export const ApiKeyEntry = Type.Object(
  {
    id: Type.String({ pattern: API_KEY_ID_PATTERN }),
    sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
    scopes: Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s))), { uniqueItems: true })
  },
  { additionalProperties: false }
)
export type ApiKeyEntry = Static<typeof ApiKeyEntry>

const ApiKeyList = Type.Array(ApiKeyEntry)
const checker = TypeCompiler.Compile(ApiKeyList)

/**
 * Parses the `API_KEYS` JSON. Throws an Error whose message never quotes the input: the list
 * holds only hashes, but an operator may paste a raw key by mistake.
 */
export function parseApiKeys(text: string): ApiKeyEntry[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Error('is not valid JSON')
  }
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First()
    const where = first?.path ? ` at ${first.path}` : ''
    const message = first?.path.endsWith('/id') ? API_KEY_ID_RULE : (first?.message ?? 'invalid')
    throw new Error(`must be a JSON array of {id, sha256, scopes}${where}: ${message}`)
  }
  const ids = new Set<string>()
  for (const entry of value) {
    if (ids.has(entry.id)) throw new Error(`has the id "${entry.id}" twice`)
    ids.add(entry.id)
  }
  return value.map((e) => ({ ...e, sha256: e.sha256.toLowerCase() }))
}
