import type { Env } from './env-schema.js'

export type SamplerName = Env['OTEL_TRACES_SAMPLER']

/** What the tracing module needs, read from the standard OTEL_* variables. Absent: tracing is off. */
export interface TracingConfig {
  /** The full OTLP/HTTP traces URL (…/v1/traces). */
  tracesUrl: string
  /** Sent with every export; usually the backend's API key: a secret, scrubbed from the log. */
  headers: Record<string, string>
  exportTimeoutMs: number
  serviceName: string
  /** From OTEL_RESOURCE_ATTRIBUTES; service.name is OTEL_SERVICE_NAME's. */
  resourceAttributes: Record<string, string>
  sampler: SamplerName
  /** The ratio of the traceidratio samplers (1 by default). */
  samplerRatio: number
  scheduledDelayMs: number
  maxQueueSize: number
}

/** Thrown as a ConfigError by load-config: `variable` names the culprit, `problem` never quotes a value. */
export class TracingConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string
  ) {
    super(`${variable} ${problem}`)
  }
}

const PROTOCOL = 'http/protobuf'
const DEFAULT_SERVICE_NAME = 'sectigo-proxy'
// RFC 9110 token: what a header name or a resource attribute key may hold.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Tracing is on only when an OTLP endpoint is configured, OTEL_SDK_DISABLED is not true and
 * OTEL_TRACES_EXPORTER is not `none`. The traces endpoint is used as given; the general one gets
 * `v1/traces` appended, as the OpenTelemetry specification says.
 */
export function tracingConfig(env: Env, warnings: string[]): TracingConfig | undefined {
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  if (general === undefined && traces === undefined) return undefined
  if (env.OTEL_SDK_DISABLED || env.OTEL_TRACES_EXPORTER === 'none') return undefined

  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] as const) {
    const value = env[name]
    if (value !== undefined && value !== PROTOCOL) throw new TracingConfigError(name, `must be ${PROTOCOL} (the only protocol this service exports with)`)
  }

  const tracesUrl =
    traces !== undefined
      ? checkEndpoint('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces).href
      : `${checkEndpoint('OTEL_EXPORTER_OTLP_ENDPOINT', general ?? '').href.replace(/\/*$/, '/')}v1/traces`

  const headers = {
    ...parseList('OTEL_EXPORTER_OTLP_HEADERS', env.OTEL_EXPORTER_OTLP_HEADERS),
    ...parseList('OTEL_EXPORTER_OTLP_TRACES_HEADERS', env.OTEL_EXPORTER_OTLP_TRACES_HEADERS)
  }
  const resourceAttributes = parseList('OTEL_RESOURCE_ATTRIBUTES', env.OTEL_RESOURCE_ATTRIBUTES)

  const ratioSampler = env.OTEL_TRACES_SAMPLER === 'traceidratio' || env.OTEL_TRACES_SAMPLER === 'parentbased_traceidratio'
  if (env.OTEL_TRACES_SAMPLER_ARG !== undefined && !ratioSampler) {
    warnings.push(`OTEL_TRACES_SAMPLER_ARG is ignored: OTEL_TRACES_SAMPLER=${env.OTEL_TRACES_SAMPLER} takes no argument`)
  }

  return {
    tracesUrl,
    headers,
    exportTimeoutMs: env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
    serviceName: env.OTEL_SERVICE_NAME ?? resourceAttributes['service.name'] ?? DEFAULT_SERVICE_NAME,
    resourceAttributes,
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG ?? 1,
    scheduledDelayMs: env.OTEL_BSP_SCHEDULE_DELAY,
    maxQueueSize: env.OTEL_BSP_MAX_QUEUE_SIZE
  }
}

function checkEndpoint(variable: string, value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TracingConfigError(variable, 'is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TracingConfigError(variable, 'must use http: or https:')
  // A credential in the URL would end up in error messages; OTEL_EXPORTER_OTLP_HEADERS is the place for it.
  if (url.username || url.password) throw new TracingConfigError(variable, 'must not carry credentials (use OTEL_EXPORTER_OTLP_HEADERS)')
  if (url.hash) throw new TracingConfigError(variable, 'must not have a fragment')
  return url
}

/**
 * `key1=value1,key2=value2` with percent-encoded values (the W3C Baggage format the specification
 * uses for headers and resource attributes). Messages name the entry's position, never its value.
 */
function parseList(variable: string, text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (text === undefined) return out
  const entries = text.split(',')
  entries.forEach((entry, index) => {
    if (entry.trim() === '') return
    const eq = entry.indexOf('=')
    const key = (eq === -1 ? entry : entry.slice(0, eq)).trim()
    if (eq === -1 || !TOKEN.test(key)) throw new TracingConfigError(variable, `entry ${index + 1} is not key=value`)
    let value: string
    try {
      value = decodeURIComponent(entry.slice(eq + 1).trim())
    } catch {
      throw new TracingConfigError(variable, `entry ${index + 1} has a malformed percent-encoding`)
    }
    if (CONTROL.test(value)) throw new TracingConfigError(variable, `entry ${index + 1} holds a control character`)
    out[key] = value
  })
  return out
}
