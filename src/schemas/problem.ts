import { Type, type TSchema } from '@sinclair/typebox'
import { PROBLEM_TYPES, type ProblemSlug } from '../problems/problem-types.js'

const FieldError = Type.Object(
  {
    pointer: Type.Optional(Type.String({ description: 'JSON pointer to the body member at fault.', examples: ['#/domains/1/email'] })),
    parameter: Type.Optional(Type.String({ description: 'The path or query parameter at fault.', examples: ['orderNumber'] })),
    header: Type.Optional(Type.String({ description: 'The header at fault.', examples: ['Idempotency-Key'] })),
    detail: Type.String({ description: 'What is wrong with it.', examples: ['is required'] })
  },
  { $id: 'ProblemFieldError', description: 'One member, parameter or header at fault.' }
)

const SectigoError = Type.Object(
  {
    errorCode: Type.Integer({ description: "Sectigo's error code.", examples: [-47] }),
    errorMessage: Type.Optional(Type.String({ description: "Sectigo's error message.", examples: ['domainName is already validated!'] })),
    errorItem: Type.Optional(Type.String({ description: 'The argument Sectigo named as at fault.', examples: ['domainName'] })),
    errorDetail: Type.Optional(Type.String({ description: "Sectigo's further detail, for mark certificates." }))
  },
  { $id: 'SectigoError', description: "Sectigo's own answer, when Sectigo caused the problem." }
)

export const ProblemDetails = Type.Object(
  {
    type: Type.String({ description: 'A URI reference to the problem type; its page documents it.', examples: ['/problems/domain-already-validated'] }),
    title: Type.String({ description: 'Fixed per type.', examples: ['Domain already validated'] }),
    status: Type.Integer({ description: 'The HTTP status.', examples: [409] }),
    detail: Type.Optional(Type.String({ description: 'What happened in this case.' })),
    instance: Type.String({ description: 'The request path.', examples: ['/orders/1234567/dcv'] }),
    requestId: Type.String({ description: 'The X-Request-Id of the request, for the logs.' }),
    errors: Type.Optional(Type.Array(Type.Ref(FieldError), { description: 'The members, parameters or headers at fault.' })),
    sectigo: Type.Optional(Type.Ref(SectigoError)),
    outcome: Type.Optional(
      Type.Literal('unknown', { description: 'Present when the call may have reached Sectigo and its result is unknown: the change may have been made.' })
    )
  },
  { $id: 'ProblemDetails', description: 'An RFC 9457 problem: every non-2xx answer of the service.' }
)

export const PROBLEM_SCHEMAS: TSchema[] = [FieldError, SectigoError, ProblemDetails]

/** What any order route can answer: the caller, the request, the service and the upstream link. */
export const ORDER_ROUTE_PROBLEMS: readonly ProblemSlug[] = [
  'validation-failed',
  'unauthorized',
  'forbidden',
  'permission-denied',
  'idempotency-key-in-use',
  'payload-too-large',
  'unsupported-media-type',
  'invalid-argument',
  'idempotency-key-reused',
  'rate-limited',
  'upstream-operation-failed',
  'upstream-authentication-failed',
  'upstream-rejected-request',
  'upstream-error',
  'upstream-bad-response',
  'upstream-rate-limited',
  'upstream-unavailable',
  'service-unavailable',
  'upstream-timeout',
  'internal-error'
]

const EXAMPLES: Partial<Record<ProblemSlug, Record<string, unknown>>> = {
  'validation-failed': { detail: '#/domains/1/email is required', errors: [{ pointer: '#/domains/1/email', detail: 'is required' }] },
  'domain-already-validated': {
    detail: 'domainName is already validated!',
    sectigo: { errorCode: -47, errorMessage: 'domainName is already validated!' }
  },
  'upstream-timeout': {
    detail: 'Sectigo did not answer in time. The request may have reached Sectigo, so the change may have been made; check the order before repeating it.',
    outcome: 'unknown'
  }
}

function example(slug: ProblemSlug, instance: string): Record<string, unknown> {
  const t = PROBLEM_TYPES[slug]
  return {
    type: `/problems/${slug}`,
    title: t.title,
    status: t.status,
    ...(EXAMPLES[slug] ?? { detail: t.meaning }),
    instance,
    requestId: '0f5c2d1e-8a4b-4c6d-9e7f-1a2b3c4d5e6f'
  }
}

/**
 * The problem responses of a route, grouped by status: each lists its slugs with links to their
 * pages and carries an example per slug, all with the shared ProblemDetails schema.
 */
/**
 * The IETF RateLimit draft headers that @fastify/rate-limit sets on the order routes' answers once
 * the caller is known (not on a 401).
 */
export const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': { type: 'integer', description: 'The calls this caller may make per window (RATE_LIMIT_MAX).' },
  'RateLimit-Remaining': { type: 'integer', description: 'The calls left in the current window.' },
  'RateLimit-Reset': { type: 'integer', description: 'Seconds until the current window ends.' }
}

const REQUEST_ID_HEADER = { 'X-Request-Id': { type: 'string', description: 'The request id, also in `requestId` and in every log line of the request.' } }

/** A 200 answer of an order route: its JSON schema, with the headers every order route sets. */
export function orderSuccess(description: string, schema: unknown): unknown {
  return { description, headers: { ...REQUEST_ID_HEADER, ...RATE_LIMIT_HEADERS }, content: { 'application/json': { schema } } }
}

export function problemResponses(
  slugs: readonly ProblemSlug[],
  instance: string,
  extraHeaders: Record<string, { type: string; description: string }> = {}
): Record<number, unknown> {
  const byStatus = new Map<number, ProblemSlug[]>()
  for (const slug of slugs) {
    const status = PROBLEM_TYPES[slug].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), slug])
  }
  const out: Record<number, unknown> = {}
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const retry = list.some((s) => PROBLEM_TYPES[s].status === 429 || 'retryAfter' in PROBLEM_TYPES[s])
    out[status] = {
      description: list.map((s) => `[\`${s}\`](/problems/${s}): ${PROBLEM_TYPES[s].title}`).join('; '),
      headers: {
        ...REQUEST_ID_HEADER,
        ...extraHeaders,
        ...(retry ? { 'Retry-After': { type: 'integer', description: 'Seconds to wait before retrying.' } } : {}),
        ...(status === 401 ? { 'WWW-Authenticate': { type: 'string', description: 'The Bearer challenge.' } } : {})
      },
      content: {
        'application/problem+json': {
          schema: Type.Ref(ProblemDetails),
          examples: Object.fromEntries(list.map((s) => [s, { summary: PROBLEM_TYPES[s].title, value: example(s, instance) }]))
        }
      }
    }
  }
  return out
}
