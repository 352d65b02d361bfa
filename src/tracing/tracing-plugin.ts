// Loaded with import() only when tracing is configured: with tracing off, no OpenTelemetry module
// is loaded and no hook below is registered, so the request path is exactly what it is without it.
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { DiagLogLevel, SpanStatusCode, TraceFlags, diag, propagation, type Span } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  type SpanProcessor
} from '@opentelemetry/sdk-trace'
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { TracingConfig } from '../config/tracing-config.js'
import { SERVICE_NAME, SERVICE_VERSION } from '../meta.js'
import { RequestLogger } from '../logging/request-logger.js'
import { recordAttemptSpans } from './attempt-spans.js'

export interface TracingPluginOptions {
  config: TracingConfig
  /** Tests pass an in-memory exporter; spans are then exported one by one as they end. */
  exporter?: SpanExporter
}

/** Probes and scrapes come every few seconds and say nothing about a certificate call. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics'])
const PROBLEM_SLUG = /^\{"type":"[^"]*\/problems\/([a-z0-9-]+)"/
const ORDER_NUMBER = /^\d{1,20}$/

function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

export function samplerFor(config: TracingConfig): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio)
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) })
    default:
      // The schema admits only the names above.
      throw new Error(`unknown sampler ${config.sampler}`)
  }
}

function spanProcessorFor(opts: TracingPluginOptions): SpanProcessor {
  if (opts.exporter) return new SimpleSpanProcessor({ exporter: opts.exporter })
  const { config } = opts
  // Every setting is passed here; the exporter's own OTEL_* fallbacks then have nothing left to fill
  // in but TLS client certificates and compression, which the service does not configure.
  const exporter = new OTLPTraceExporter({ url: config.tracesUrl, headers: { ...config.headers }, timeoutMillis: config.exportTimeoutMs })
  return new BatchSpanProcessor({
    exporter,
    scheduledDelayMillis: config.scheduledDelayMs,
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: Math.min(512, config.maxQueueSize),
    exportTimeoutMillis: config.exportTimeoutMs
  })
}

/** OpenTelemetry's own complaints (an export that failed) go to the service log as warnings. */
function diagnosticsTo(log: FastifyBaseLogger): void {
  const write = (message: string, ...args: unknown[]) => log.warn({ tracing: true }, `opentelemetry: ${[message, ...args.map(String)].join(' ')}`)
  diag.setLogger({ error: write, warn: write, info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
}

function isReadable(span: Span): span is Span & ReadableSpan {
  return 'status' in span
}

/**
 * Server spans from @fastify/otel (continuing a caller's W3C traceparent), annotated with the
 * route, order number, caller, status and problem slug; one span per Sectigo attempt built from
 * the request's call record when the request is over; traceId and spanId on every log line of a
 * traced request, and `traceresponse` on its answer.
 */
export const tracing = fp(
  async (app: FastifyInstance, opts: TracingPluginOptions) => {
    const { config } = opts
    // Only W3C Trace Context: no baggage is taken from callers. Process-wide, like the API itself;
    // a second app in the same process (tests) finds it already set.
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    diagnosticsTo(app.log)

    const provider = new TracerProvider({
      resource: resourceFromAttributes({ ...config.resourceAttributes, 'service.name': config.serviceName, 'service.version': SERVICE_VERSION }),
      sampler: samplerFor(config),
      spanProcessors: [spanProcessorFor(opts)]
    })
    const tracer = provider.getTracer(SERVICE_NAME, SERVICE_VERSION)

    // No hook or handler spans: one server span per request, and the attempts below.
    const instrumentation = new FastifyOtelInstrumentation({
      instrumentHooks: false,
      instrumentHandler: false,
      // An exception's message and stack could quote anything; the problem slug says what happened.
      recordExceptions: false,
      ignorePaths: (route: { url: string }) => UNTRACED_PATHS.has(pathOf(route.url)),
      requestHook: (span: Span, request: FastifyRequest) => {
        // The path without its query: nothing a caller puts after `?` belongs in a trace.
        span.setAttribute('url.path', pathOf(request.url))
      }
    })
    instrumentation.setTracerProvider(provider)
    await app.register(instrumentation.plugin())

    const serverSpans = new WeakMap<FastifyRequest, Span>()

    app.addHook('onRequest', (request, reply, done) => {
      const span = request.opentelemetry().span
      if (span) {
        serverSpans.set(request, span)
        const { traceId, spanId } = span.spanContext()
        // Bound to the request's logger, so that every later line of the request, its own line
        // included, carries the ids without an async context.
        if (request.log instanceof RequestLogger) request.log.bind({ traceId, spanId })
      }
      done()
    })

    app.addHook('onSend', (request, reply, payload, done) => {
      const span = serverSpans.get(request)
      if (span) {
        const { traceId, spanId, traceFlags } = span.spanContext()
        // W3C Trace Context Level 2: the caller learns the trace id even when it sent none.
        reply.header('traceresponse', `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`)
        if (span.isRecording()) annotate(span, request, reply.statusCode, problemSlugOf(reply.getHeader('content-type'), payload))
      }
      // Instance onSend hooks run before the route's own, where @fastify/otel ends the span.
      done(null, payload)
    })

    app.onRequestDone((request) => {
      const span = serverSpans.get(request)
      const call = request.sectigoCall
      // The server span has ended by now (isRecording() is false): its sampled flag decides.
      if (span && call && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) recordAttemptSpans(tracer, span, call)
    })

    // Flushes what is queued: the last requests' spans are exported before the process ends. A
    // collector that is down must not turn a clean shutdown into a failed one.
    app.addHook('onClose', async () => {
      await provider.shutdown().catch((err: unknown) => app.log.warn({ tracing: true, error: err instanceof Error ? err.message : String(err) }, 'spans not exported at shutdown'))
    })
  },
  { name: 'tracing', fastify: '5.x', dependencies: ['request-cycle'] }
)

function problemSlugOf(contentType: unknown, payload: unknown): string | undefined {
  if (typeof payload !== 'string' || typeof contentType !== 'string' || !contentType.startsWith('application/problem+json')) return undefined
  return PROBLEM_SLUG.exec(payload)?.[1]
}

function annotate(span: Span, request: FastifyRequest, status: number, slug: string | undefined): void {
  const route = request.routeOptions.url
  span.updateName(route ? `${request.method} ${route}` : request.method)
  span.setAttribute('sectigo_proxy.request_id', request.id)
  if (request.caller) span.setAttribute('sectigo_proxy.caller', request.caller.id)
  const params = (request.params ?? {}) as Record<string, string | undefined>
  const order = params.orderNumber ?? params.baseOrderNumber
  if (order !== undefined && ORDER_NUMBER.test(order)) span.setAttribute('sectigo_proxy.order_number', order)
  if (slug) span.setAttribute('sectigo_proxy.problem', slug)
  if (request.sectigoCall?.errorCode !== undefined) span.setAttribute('sectigo.error_code', request.sectigoCall.errorCode)
  // @fastify/otel marks a thrown error with its message; the slug replaces it (a message can quote
  // anything). A 5xx is an error of this service even when nothing threw.
  if (status >= 500 || (isReadable(span) && span.status.code === SpanStatusCode.ERROR)) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: slug ?? `HTTP ${status}` })
  }
}
