import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError, type ProblemFieldError } from './problem-error.js'
import type { ProblemSlug } from './problem-types.js'
import { toFieldErrors } from './validation-errors.js'

export const PROBLEM_MEDIA_TYPE = 'application/problem+json; charset=utf-8'

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail?: string
  instance: string
  requestId: string
  errors?: ProblemFieldError[]
  sectigo?: ProblemError['options']['sectigo']
  outcome?: 'unknown'
}

declare module 'fastify' {
  interface FastifyReply {
    /** Sends `problem` as application/problem+json, with its headers. */
    sendProblem(problem: ProblemError): FastifyReply
  }
  interface FastifyInstance {
    /** The problem+json body for `problem` answering `request`. */
    problemBody(problem: ProblemError, request: FastifyRequest): ProblemBody
  }
}

// Fastify's own errors, by code, and the fallback by status for any other error that carries one.
const FASTIFY_CODES: Record<string, { slug: ProblemSlug; detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { slug: 'unsupported-media-type', detail: 'The body must be application/json.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { slug: 'validation-failed', detail: 'The body is empty; send a JSON object.' },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    slug: 'validation-failed',
    detail: 'The body is not valid JSON, or holds a forbidden key (__proto__, constructor.prototype).'
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { slug: 'validation-failed', detail: 'Content-Length does not match the body.' }
  // FST_ERR_BAD_URL never reaches here: the frameworkErrors handler (src/http/edge-errors.ts) answers it.
}

const STATUS_SLUGS: Record<number, ProblemSlug> = {
  400: 'validation-failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
  503: 'service-unavailable'
}

/** Maps any error to the problem the caller sees; unexpected errors become an opaque 500. */
export function toProblem(error: FastifyError | Error, request: FastifyRequest): ProblemError {
  if (error instanceof ProblemError) return error
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'body'
    const errors = toFieldErrors(fastifyError.validation, context, request)
    const first = errors[0]
    const where = first?.pointer ?? first?.parameter ?? first?.header ?? context
    return new ProblemError('validation-failed', {
      detail: first ? `${where} ${first.detail}` : 'The request does not match the schema.',
      errors
    })
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit
    return new ProblemError('payload-too-large', {
      detail: `The body is larger than the ${limit} bytes the service accepts (BODY_LIMIT_BYTES).`
    })
  }
  const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined
  if (known) return new ProblemError(known.slug, { detail: known.detail })
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return new ProblemError(STATUS_SLUGS[status] ?? 'validation-failed')
  }
  return new ProblemError('internal-error', { detail: 'An unexpected error occurred.' })
}

function instanceOf(request: FastifyRequest): string {
  const url = request.url
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

export interface ProblemHandlerOptions {
  publicBaseUrl?: string
}

/**
 * Every non-2xx answer, from any route or from Fastify itself, as application/problem+json
 * (RFC 9457) with the request id, and `X-Request-Id` on every response.
 */
export const problemHandler = fp(
  async (app: FastifyInstance, opts: ProblemHandlerOptions) => {
    const typeBase = opts.publicBaseUrl ? `${opts.publicBaseUrl}/problems/` : '/problems/'

    app.decorate('problemBody', (problem: ProblemError, request: FastifyRequest): ProblemBody => {
      const { detail, errors, sectigo, outcome } = problem.options
      return {
        type: typeBase + problem.slug,
        title: problem.title,
        status: problem.status,
        ...(detail ? { detail } : {}),
        instance: instanceOf(request),
        requestId: request.id,
        ...(errors && errors.length > 0 ? { errors } : {}),
        ...(sectigo ? { sectigo } : {}),
        ...(outcome ? { outcome } : {})
      }
    })

    app.decorateReply('sendProblem', function (this: FastifyReply, problem: ProblemError) {
      const retryAfter = problem.retryAfter
      if (retryAfter !== undefined) this.header('retry-after', String(retryAfter))
      for (const [name, value] of Object.entries(problem.options.headers ?? {})) this.header(name, value)
      return this.code(problem.status)
        .type(PROBLEM_MEDIA_TYPE)
        .send(app.problemBody(problem, this.request))
    })

    app.setErrorHandler((error, request, reply) => {
      const problem = toProblem(error as Error, request)
      if (problem.status >= 500 && !(error instanceof ProblemError)) {
        // Details stay in the log; the caller gets only the opaque problem.
        request.log.error({ err: error }, 'unexpected error')
      }
      reply.header('x-request-id', request.id)
      return reply.sendProblem(problem)
    })

    app.setNotFoundHandler((request, reply) => {
      reply.sendProblem(new ProblemError('not-found', { detail: `No route answers ${request.method} ${instanceOf(request)}.` }))
    })
  },
  { name: 'problem-handler', fastify: '5.x' }
)

