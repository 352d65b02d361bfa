import type { FastifySchemaValidationError, SchemaErrorDataVar } from 'fastify/types/schema.js'
import type { ProblemFieldError } from './problem-error.js'

/** Patterns whose meaning is worth saying in words instead of quoting the regex. */
const PATTERN_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/\\u0000-\\u001F|\\x00-\\x1F|\\p\{Cc\}/, 'must not contain control characters'],
  [/^\^\[1-9\]\[0-9\]/, 'must be a decimal number of 1 to 19 digits without a leading zero'],
  [/^\^\[A-Z\]\{2\}\$$/, 'must be two upper-case letters (ISO 3166-1 alpha-2)'],
  [/\\d\{4\}-/, 'must be a date written YYYY-MM-DD'],
  [/^\^\[0-9\]\{9\}\$$/, 'must be nine digits']
]

function describe(error: FastifySchemaValidationError): string {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return 'is required'
    case 'additionalProperties':
      return 'is not allowed'
    case 'false schema':
      return 'is not allowed here'
    case 'pattern': {
      const pattern = String(params.pattern ?? '')
      const words = PATTERN_WORDS.find(([re]) => re.test(pattern))
      return words ? words[1] : 'has an invalid format'
    }
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    case 'uniqueItems':
      return 'must not hold the same item twice'
    default:
      return error.message ?? 'is invalid'
  }
}

function pointerOf(error: FastifySchemaValidationError): string {
  const params = error.params as Record<string, unknown>
  let path = error.instancePath
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    path += `/${escapePointer(params.missingProperty)}`
  } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path += `/${escapePointer(params.additionalProperty)}`
  }
  return `#${path}`
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** Header names as callers write them, for `errors[].header`. */
const HEADER_NAMES: Record<string, string> = { 'idempotency-key': 'Idempotency-Key', authorization: 'Authorization' }

/**
 * Turns Ajv's errors into `errors[]`. For a union (`anyOf`), the branch reported is the one whose
 * declared members overlap most with the members the caller sent: the shape the caller meant.
 */
export function toFieldErrors(
  errors: readonly FastifySchemaValidationError[],
  context: SchemaErrorDataVar,
  schema: unknown,
  data: unknown
): ProblemFieldError[] {
  const chosen = chooseBranch(errors, schema, data)
  const first = chosen[0]
  if (!first) return []
  const detail = describe(first)
  if (context === 'body') return [{ pointer: pointerOf(first), detail }]
  const name = pointerOf(first).replace(/^#\//, '').split('/')[0] ?? ''
  if (context === 'headers') return [{ header: HEADER_NAMES[name] ?? name, detail }]
  return [{ parameter: name, detail }]
}

function chooseBranch(
  errors: readonly FastifySchemaValidationError[],
  schema: unknown,
  data: unknown
): readonly FastifySchemaValidationError[] {
  const branches = (schema as { anyOf?: unknown[] } | undefined)?.anyOf
  if (!Array.isArray(branches)) return errors.filter((e) => e.keyword !== 'if')
  const keys = data !== null && typeof data === 'object' ? Object.keys(data) : []
  let best: FastifySchemaValidationError[] = []
  let bestScore = -Infinity
  branches.forEach((branch, index) => {
    const own = errors.filter((e) => e.schemaPath.startsWith(`#/anyOf/${index}/`) && e.keyword !== 'if')
    if (own.length === 0) return
    const declared = Object.keys((branch as { properties?: object }).properties ?? {})
    const overlap = keys.filter((k) => declared.includes(k)).length
    const depth = own[0]?.instancePath.split('/').length ?? 0
    const score = overlap * 100 + depth
    if (score > bestScore) {
      best = own
      bestScore = score
    }
  })
  return best.length > 0 ? best : errors
}
