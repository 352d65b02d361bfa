import type { FastifyRequest } from 'fastify'
import type { FastifySchemaValidationError, SchemaErrorDataVar } from 'fastify/types/schema.js'
import { PATTERN_DESCRIPTIONS } from '../schemas/common.js'
import type { ProblemFieldError } from './problem-error.js'

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
      return PATTERN_DESCRIPTIONS[String(params.pattern)] ?? 'has an invalid format'
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

type Schema = { $ref?: string; anyOf?: Schema[]; properties?: Record<string, unknown> }

/**
 * Turns Ajv's errors into `errors[]`. A union (`anyOf`) fails on every branch; the branch
 * reported is the shape the caller meant (the one declaring most of the members sent), re-checked
 * on its own so that its exact error is the one reported.
 */
export function toFieldErrors(
  errors: readonly FastifySchemaValidationError[],
  context: SchemaErrorDataVar,
  request: FastifyRequest
): ProblemFieldError[] {
  const first = (context === 'body' ? unionBranchErrors(request) : undefined)?.[0] ?? errors[0]
  if (!first) return []
  const detail = describe(first)
  if (context === 'body') return [{ pointer: pointerOf(first), detail }]
  const name = pointerOf(first).replace(/^#\//, '').split('/')[0] ?? ''
  if (context === 'headers') return [{ header: HEADER_NAMES[name] ?? name, detail }]
  return [{ parameter: name, detail }]
}

function unionBranchErrors(request: FastifyRequest): readonly FastifySchemaValidationError[] | undefined {
  const resolve = (schema: Schema | undefined): Schema | undefined =>
    schema?.$ref ? (request.server.getSchema(schema.$ref.replace(/#$/, '')) as Schema | undefined) : schema
  const union = resolve(request.routeOptions.schema?.body as Schema | undefined)
  if (!union?.anyOf) return undefined
  const body = request.body
  const keys = body !== null && typeof body === 'object' ? Object.keys(body) : []
  let best: Schema | undefined
  let bestOverlap = -1
  for (const branch of union.anyOf) {
    const declared = Object.keys(resolve(branch)?.properties ?? {})
    const overlap = keys.filter((k) => declared.includes(k)).length
    if (overlap > bestOverlap) {
      best = branch
      bestOverlap = overlap
    }
  }
  if (!best) return undefined
  // Compiled once per schema object and cached by Fastify.
  const validate = request.compileValidationSchema(best as Record<string, unknown>, 'body')
  return validate(body) ? undefined : (validate.errors ?? undefined)
}
