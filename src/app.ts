import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { SpanExporter } from '@opentelemetry/sdk-trace'
import type { DestinationStream } from 'pino'
import type { Dispatcher } from 'undici'
import type { Config } from './config/load-config.js'
import { clientErrorHandler, frameworkErrorHandler } from './http/edge-errors.js'
import { answerSerializers } from './http/answer-serializer.js'
import { installJsonBody } from './http/json-body.js'
import {
  CONNECTIONS_CHECKING_INTERVAL_MS,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  connectionTimeoutMs
} from './http/server-timeouts.js'
import { createLogger, requestIdFor } from './logging/logger.js'
import { requestLoggerFactory } from './logging/request-logger.js'
import { idempotency } from './idempotency/idempotency-plugin.js'
import { auth } from './plugins/auth.js'
import { docs } from './plugins/docs.js'
import { methodNotAllowed } from './plugins/method-not-allowed.js'
import { SERVICE_VERSION } from './meta.js'
import { createMetrics, metricsPlugin, metricsRoute } from './plugins/metrics.js'
import { pressure, type PressureOptions } from './plugins/pressure.js'
import { rateLimits } from './plugins/rate-limit.js'
import { redisPlugin } from './plugins/redis.js'
import { requestCycle } from './plugins/request-cycle.js'
import { requestLog } from './plugins/request-log.js'
import { createLogDestination, type LogDestination } from './logging/log-destination.js'
import { createEchoScrubber, createScrubber } from './security/scrubber.js'
import { problemHandler } from './problems/problem-handler.js'
import { ProblemDoc, problemPages } from './problems/problem-pages.js'
import { dcvRoutes } from './routes/dcv.js'
import { dcvWorkflowRoutes } from './routes/dcv-workflow.js'
import { healthRoutes } from './routes/health.js'
import { orderStatusRoutes } from './routes/order-status.js'
import { replacementRoutes } from './routes/replacement.js'
import { DryRunResult, SECTIGO_FIELD_KEYWORD } from './schemas/common.js'
import { DCV_SCHEMAS } from './schemas/dcv.js'
import { DCV_WORKFLOW_SCHEMAS } from './schemas/dcv-workflow.js'
import { ORDER_STATUS_SCHEMAS } from './schemas/order-status.js'
import { PROBLEM_SCHEMAS } from './schemas/problem.js'
import { REPLACEMENT_SCHEMAS } from './schemas/replacement.js'
import { sectigoPlugin } from './sectigo/sectigo-plugin.js'
import { startSandbox } from './sandbox.js'
import { characterLengths } from './validation/character-lengths.js'
import { patternRegExp } from './validation/pattern-regexp.js'
import { longestAnyCallMs } from './sectigo/call-budget.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Standard output's log destination (null when a test captures the lines). */
    logDestination: LogDestination | null
  }
}

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

export interface AppDeps {
  /** The undici dispatcher for upstream calls (tests pass a MockAgent). */
  dispatcher?: Dispatcher
  /** Where log lines go (tests capture them); stdout otherwise. */
  logStream?: DestinationStream
  /** Load-shedding thresholds (tests that share two cores with many workers raise them). */
  pressure?: PressureOptions
  /** The clock of the idempotency store (tests move it instead of sleeping). */
  now?: () => number
  /** Where spans go when tracing is configured (tests pass an in-memory exporter); OTLP otherwise. */
  spanExporter?: SpanExporter
}

/** Secrets scrubbed from everything that leaves the service, whatever put them there. */
function secretsOf(config: Config): string[] {
  const secrets: string[] = []
  if (config.mode === 'live') secrets.push(config.sectigo.loginPassword)
  if (config.redisUrl) {
    const password = new URL(config.redisUrl).password
    if (password) secrets.push(decodeURIComponent(password))
  }
  // The tracing backend's API key travels in these.
  if (config.tracing) secrets.push(...Object.values(config.tracing.headers))
  return secrets
}

/** Fastify takes a hop count only as a function: trust the n proxies nearest to us. */
function trustProxyOption(value: Config['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof value !== 'number') return value
  return (_address, hop) => hop < value
}

/** Builds the whole service in-process: everything a test or the server needs. */
export async function buildApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const secrets = secretsOf(config)
  const scrub = createScrubber(secrets)
  const destination = deps.logStream ? undefined : createLogDestination({ maxBytes: config.logBufferBytes })
  const logger = createLogger({ level: config.logLevel, scrub }, deps.logStream ?? destination?.stream)

  const sandbox = config.mode === 'sandbox' ? await startSandbox(config, logger) : undefined
  const sectigo = sandbox ? { ...config.sectigo, ...sandbox.upstream } : config.sectigo

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One access line per request (below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // A request's logger makes its pino child only if it writes a line of its own.
    childLoggerFactory: requestLoggerFactory,
    genReqId: requestIdFor,
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: trustProxyOption(config.trustProxy),
    // The lifecycle plugin answers with a problem body instead of Fastify's plain 503.
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // A slow upstream keeps a request silent for as long as a call can last; the socket must outlive it.
    connectionTimeout: connectionTimeoutMs(longestAnyCallMs(config.sectigo)),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS },
    // Errors before any route (a path that cannot be decoded, what Node's parser refuses) are problems too.
    frameworkErrors: frameworkErrorHandler(config.publicBaseUrl),
    clientErrorHandler: clientErrorHandler(logger as FastifyBaseLogger, config.publicBaseUrl),
    // The order routes' answers serialized by their branch (see answer-serializer.ts).
    schemaController: { compilersFactory: { buildSerializer: answerSerializers } },
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        allErrors: false,
        useDefaults: true,
        keywords: [SECTIGO_FIELD_KEYWORD],
        code: { regExp: patternRegExp }
      },
      plugins: [characterLengths]
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Only JSON bodies are accepted: without the text parser, text/plain gets 415 like any other type.
  app.removeContentTypeParser('text/plain')
  installJsonBody(app)

  const notAllowed = methodNotAllowed(app)

  const metrics = createMetrics(
    {
      upstream: () => ({ active: app.sectigo.active, queued: app.sectigo.queued, sockets: app.sectigo.openSockets }),
      droppedLogLines: () => destination?.droppedLines ?? 0,
      // Redis keeps its own figures: no gauge for it here.
      ...(config.idempotency.store === 'memory' ? { idempotencyStoreBytes: () => app.memoryIdempotencyStore?.bytes ?? 0 } : {})
    },
    { version: SERVICE_VERSION, revision: config.revision }
  )
  app.decorate('logDestination', destination ?? null)
  // First: every other plugin's hooks run inside the request's cycle.
  await app.register(requestCycle)
  if (config.tracing) {
    // Before every other plugin and route, so that the server span covers them; never loaded when off.
    const { tracing } = await import('./tracing/tracing-plugin.js')
    await app.register(tracing, { config: config.tracing, ...(deps.spanExporter ? { exporter: deps.spanExporter } : {}) })
  }
  await app.register(problemHandler, { publicBaseUrl: config.publicBaseUrl })
  await app.register(metricsPlugin, { metrics })
  await app.register(pressure, { maxEventLoopDelayMs: config.overloadEventLoopDelayMs, ...deps.pressure })
  await app.register(sectigoPlugin, { sectigo, scrub: createEchoScrubber(secrets, scrub), ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}) })
  await app.register(redisPlugin, { url: config.redisUrl })
  await app.register(auth, { keys: config.apiKeys })
  await app.register(rateLimits, config.rateLimit)
  await app.register(idempotency, { ...config.idempotency, longestCallMs: config.longestCallMs, ...(deps.now ? { now: deps.now } : {}) })
  await app.register(requestLog, { logger })

  for (const schema of [...PROBLEM_SCHEMAS, ProblemDoc, DryRunResult, ...DCV_SCHEMAS, ...REPLACEMENT_SCHEMAS, ...DCV_WORKFLOW_SCHEMAS, ...ORDER_STATUS_SCHEMAS]) app.addSchema(schema)

  await app.register(docs, { docsEnabled: config.docsEnabled })
  await app.register(healthRoutes)
  await app.register(metricsRoute)
  await app.register(problemPages)
  await app.register(dcvRoutes)
  await app.register(replacementRoutes)
  await app.register(dcvWorkflowRoutes)
  await app.register(orderStatusRoutes)

  notAllowed.install()

  if (sandbox) app.addHook('onClose', async () => sandbox.close())
  for (const warning of config.warnings) app.log.warn(warning)

  return app
}
