import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { SERVICE_VERSION } from '../meta.js'
import type { SectigoCallRecord } from '../sectigo/client.js'

export interface Metrics {
  registry: Registry
  /** Records a finished request's call to Sectigo: attempt durations and error codes. */
  upstreamCall(call: SectigoCallRecord): void
  idempotency: { replay(): void; conflict(reason: 'in-use' | 'reused' | 'owner-gone'): void }
}

/** Figures read when /metrics is scraped, never counted on the request path. */
export interface MetricSources {
  /** Calls holding a connection slot, calls waiting for one, sockets open to Sectigo. */
  upstream(): { active: number; queued: number; sockets: number }
  /** Log lines dropped because stdout's reader fell behind or had gone. */
  droppedLogLines(): number
  /** The memory idempotency store's estimated bytes; absent with the Redis store (no gauge then). */
  idempotencyStoreBytes?(): number
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/** What `sectigo_proxy_build_info` says about the running build. */
export interface BuildInfo {
  version: string
  /** The source revision (the image's REVISION build argument, as BUILD_REVISION); `unknown` when not set. */
  revision: string
}

/** Built before the app so the Sectigo client, created with it, reports into the same registry. */
export function createMetrics(sources: MetricSources, build: BuildInfo = { version: SERVICE_VERSION, revision: 'unknown' }): Metrics {
  // One registry per app: several apps in one process (tests, the bench) never share counters.
  const registry = new Registry()
  // Standard names (process_*, nodejs_*), as dashboards expect them.
  collectDefaultMetrics({ register: registry })

  const attempts = new Histogram({
    name: 'sectigo_proxy_upstream_duration_seconds',
    help: 'Duration of each attempt to call Sectigo, by endpoint and outcome (reply or failure kind).',
    labelNames: ['endpoint', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry]
  })
  const codes = new Counter({
    name: 'sectigo_proxy_upstream_replies_total',
    help: "Sectigo's replies by endpoint and errorCode (code 0 is success).",
    labelNames: ['endpoint', 'code'] as const,
    registers: [registry]
  })
  new Gauge({
    name: 'sectigo_proxy_upstream_active_calls',
    help: 'Calls to Sectigo holding a connection slot (connecting, sending or waiting for the reply).',
    registers: [registry],
    collect() {
      this.set(sources.upstream().active)
    }
  })
  new Gauge({
    name: 'sectigo_proxy_upstream_queued_calls',
    help: 'Calls to Sectigo waiting for a connection slot (SECTIGO_MAX_QUEUE at most).',
    registers: [registry],
    collect() {
      this.set(sources.upstream().queued)
    }
  })
  new Gauge({
    name: 'sectigo_proxy_upstream_open_connections',
    help: 'Sockets open to Sectigo (or to the egress proxy, one per tunnel); SECTIGO_MAX_CONNECTIONS at most.',
    registers: [registry],
    collect() {
      this.set(sources.upstream().sockets)
    }
  })
  new Counter({
    name: 'sectigo_proxy_log_lines_dropped_total',
    help: "Log lines dropped because standard output's reader fell behind by more than LOG_BUFFER_BYTES or had gone.",
    registers: [registry],
    collect() {
      this.reset()
      this.inc(sources.droppedLogLines())
    }
  })
  if (sources.idempotencyStoreBytes) {
    new Gauge({
      name: 'sectigo_proxy_idempotency_store_bytes',
      help: "Estimated heap bytes of the memory idempotency store's records, with the answer allowance of each call in flight; bounded by IDEMPOTENCY_MAX_BYTES (answers larger than their allowance can pass it).",
      registers: [registry],
      collect() {
        this.set(sources.idempotencyStoreBytes?.() ?? 0)
      }
    })
  }
  const replays = new Counter({
    name: 'sectigo_proxy_idempotency_replays_total',
    help: 'Requests answered from the idempotency store.',
    registers: [registry]
  })
  const conflicts = new Counter({
    name: 'sectigo_proxy_idempotency_conflicts_total',
    help: 'Idempotency-Key conflicts: in-use (409), reused (422), owner-gone (504, outcome unknown).',
    labelNames: ['reason'] as const,
    registers: [registry]
  })

  // The usual *_build_info pattern: always 1, the facts in labels, for joins and upgrade dashboards.
  new Gauge({
    name: 'sectigo_proxy_build_info',
    help: 'The running build: service version, source revision and Node.js version. Always 1.',
    labelNames: ['version', 'revision', 'node'] as const,
    registers: [registry]
  }).set({ version: build.version, revision: build.revision, node: process.version }, 1)

  // Children bound once per label set (endpoints × outcomes, endpoints × codes: few and bounded),
  // so that no call hashes its labels.
  const attemptChildren = new Map<string, { observe(value: number): void }>()
  const codeChildren = new Map<string, { inc(): void }>()
  return {
    registry,
    upstreamCall(call: SectigoCallRecord) {
      for (const record of call.attempts) {
        const attemptKey = `${call.endpoint}\n${record.outcome}`
        let attempt = attemptChildren.get(attemptKey)
        if (!attempt) attemptChildren.set(attemptKey, (attempt = attempts.labels({ endpoint: call.endpoint, outcome: record.outcome })))
        attempt.observe(record.durationMs / 1000)
        if (record.errorCode === undefined) continue
        const codeKey = `${call.endpoint}\n${record.errorCode}`
        let code = codeChildren.get(codeKey)
        if (!code) codeChildren.set(codeKey, (code = codes.labels({ endpoint: call.endpoint, code: String(record.errorCode) })))
        code.inc()
      }
    },
    idempotency: {
      replay: () => replays.inc(),
      conflict: (reason) => conflicts.inc({ reason })
    }
  }
}

/** `GET /metrics` in Prometheus text format, and the request duration histogram. */
export const metricsPlugin = fp(
  async (app: FastifyInstance, opts: { metrics: Metrics }) => {
    const { registry } = opts.metrics
    const requests = new Histogram({
      name: 'sectigo_proxy_http_request_duration_seconds',
      help: 'Duration of requests by route, method, status and caller.',
      labelNames: ['route', 'method', 'status_code', 'caller'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry]
    })
    app.decorate('metrics', opts.metrics)
    // Each label set's child, bound once: prom-client otherwise hashes the labels on every observe.
    // The sets are few and bounded (route patterns, statuses, configured caller ids).
    const children = new Map<string, { observe(value: number): void }>()
    app.onRequestDone((request, reply) => {
      if (request.sectigoCall) opts.metrics.upstreamCall(request.sectigoCall)
      // The route pattern, never the raw URL: order numbers would make the label unbounded.
      const route = request.routeOptions.url ?? 'unmatched'
      const caller = request.caller?.id
      const key = `${route}\n${request.method}\n${reply.statusCode}\n${caller ?? ''}`
      let child = children.get(key)
      if (!child) {
        // No caller label where there is no caller (non-order routes), rather than an empty one.
        const labels = { route, method: request.method, status_code: String(reply.statusCode) }
        child = requests.labels(caller ? { ...labels, caller } : labels)
        children.set(key, child)
      }
      child.observe(reply.elapsedTime / 1000)
    })
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['request-cycle'] }
)

/**
 * `GET /metrics`, registered after the documentation plugin so that the OpenAPI document lists it
 * (@fastify/swagger sees only the routes added after it).
 */
export const metricsRoute = async (app: FastifyInstance): Promise<void> => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        description: 'The service metrics in Prometheus text format: requests, Sectigo calls and their error codes, idempotency, the build, process figures. Keep it off the public network.',
        response: { 200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } }
      }
    },
    async (_request, reply) => reply.type(app.metrics.registry.contentType).send(await app.metrics.registry.metrics())
  )
}
