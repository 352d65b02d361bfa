import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler'
import { DryRunResult } from '../schemas/common.js'

type RouteDefinition = Parameters<ReturnType<SerializerFactory>>[0]

const DRY_RUN_REF = DryRunResult.$id

/**
 * Fastify's serializer factory (fast-json-stringify), but for the order routes' 200 answer: a union
 * of the route's result and `DryRunResult`. fast-json-stringify serializes a union by validating the
 * answer against each branch until one matches (patterns and formats included, on every answer); the
 * two are told apart by `dryRun: true`, which only a dry run's answer has, so each is serialized by its
 * own branch. The documented schema stays the union.
 */
export const answerSerializers: SerializerFactory = (externalSchemas, options) => {
  const compile = SerializerSelector()(externalSchemas, options)
  return (route: RouteDefinition) => {
    const branches = dryRunUnion(route.schema)
    if (!branches) return compile(route)
    const result = compile({ ...route, schema: branches.result })
    const dryRun = compile({ ...route, schema: branches.dryRun })
    return (answer: { dryRun?: unknown } | null) => (answer !== null && typeof answer === 'object' && answer.dryRun === true ? dryRun(answer) : result(answer))
  }
}

function dryRunUnion(schema: unknown): { result: unknown; dryRun: unknown } | undefined {
  const anyOf = (schema as { anyOf?: unknown } | undefined)?.anyOf
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return undefined
  const isDryRun = (branch: unknown) => (branch as { $ref?: unknown }).$ref === DRY_RUN_REF
  const dryRun = anyOf.find(isDryRun)
  const result = anyOf.find((branch) => !isDryRun(branch))
  return dryRun && result ? { result, dryRun } : undefined
}
