import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config/load-config.js'

const HEADER_SECRET = 'otlp-key-%41-must-not-print'

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const configError = err as ConfigError
    expect(configError.message).not.toContain(HEADER_SECRET)
    expect(configError.message).not.toContain(decodeURIComponent(HEADER_SECRET))
    return configError
  }
  throw new Error('expected a configuration error')
}

describe('tracing configuration (OTEL_* variables)', () => {
  it('is off unless an OTLP endpoint is configured', () => {
    expect(loadConfig({}).tracing).toBeUndefined()
    expect(loadConfig({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }).tracing).toBeUndefined()
  })

  it('is off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, endpoint or not', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined()
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined()
  })

  it('appends v1/traces to the general endpoint, uses the traces endpoint as given, with the defaults of the specification', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      headers: {},
      exportTimeoutMs: 10_000,
      serviceName: 'sectigo-proxy',
      resourceAttributes: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      scheduledDelayMs: 5000,
      maxQueueSize: 2048
    })
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example/base/' }).tracing?.tracesUrl).toBe('https://otlp.example/base/v1/traces')
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b.example/custom/path' }).tracing?.tracesUrl
    ).toBe('https://b.example/custom/path')
  })

  it('reads headers, resource attributes, sampler, timeouts and batch settings', () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: `api-key=${HEADER_SECRET}, x-tenant=a%2Cb`,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=c',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '3000',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.namespace=pki',
      OTEL_SERVICE_NAME: 'sectigo-proxy-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf'
    })
    expect(config.tracing).toMatchObject({
      headers: { 'api-key': decodeURIComponent(HEADER_SECRET), 'x-tenant': 'c' },
      exportTimeoutMs: 3000,
      serviceName: 'sectigo-proxy-eu',
      resourceAttributes: { 'deployment.environment.name': 'prod', 'service.namespace': 'pki' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      scheduledDelayMs: 1000,
      maxQueueSize: 100
    })
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource' }).tracing?.serviceName).toBe(
      'from-resource'
    )
  })

  it('warns that a sampler argument is ignored by a sampler without one', () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '0.5' })
    expect(config.warnings).toContain('OTEL_TRACES_SAMPLER_ARG is ignored: OTEL_TRACES_SAMPLER=always_on takes no argument')
  })

  it('refuses a bad value at startup, naming the variable and never quoting a header', () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', /not a valid URL/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', /http: or https:/],
      [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `https://user:${HEADER_SECRET}@collector/v1/traces` }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', /credentials/],
      [{ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', /http\/protobuf/],
      [{ ...base, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', /http\/protobuf/],
      [{ ...base, OTEL_EXPORTER_OTLP_HEADERS: `api-key ${HEADER_SECRET}` }, 'OTEL_EXPORTER_OTLP_HEADERS', /entry 1 is not key=value/],
      [{ ...base, OTEL_EXPORTER_OTLP_HEADERS: `a=b,api-key=${HEADER_SECRET}%E0%A4%A` }, 'OTEL_EXPORTER_OTLP_HEADERS', /entry 2 has a malformed/],
      [{ ...base, OTEL_EXPORTER_OTLP_TRACES_HEADERS: `api-key=${HEADER_SECRET}%0A` }, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', /control character/],
      [{ ...base, OTEL_RESOURCE_ATTRIBUTES: 'bad key=x' }, 'OTEL_RESOURCE_ATTRIBUTES', /not key=value/],
      [{ ...base, OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER', /allowed values \(always_on, always_off, traceidratio/],
      [{ ...base, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG', /<= 1/],
      [{ ...base, OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG', /must be a number/],
      [{ ...base, OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }, 'OTEL_EXPORTER_OTLP_TIMEOUT', /integer/],
      [{ ...base, OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER', /allowed values \(otlp, none\)/],
      [{ ...base, OTEL_SDK_DISABLED: 'maybe' }, 'OTEL_SDK_DISABLED', /boolean/],
      [{ ...base, OTEL_BSP_MAX_QUEUE_SIZE: '0' }, 'OTEL_BSP_MAX_QUEUE_SIZE', />= 1/]
    ]
    for (const [env, variable, problem] of cases) {
      const err = failure(env)
      expect(err.variable, JSON.stringify(env)).toBe(variable)
      expect(err.message).toMatch(problem)
    }
  })
})
