import { Type, type Static } from '@sinclair/typebox'

// The environment as env-schema sees it: strings coerced to numbers and booleans where the
// table says so. Cross-variable rules (modes, *_FILE twins, https) live in load-config.ts.

const Text = Type.String({ minLength: 1 })

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Text),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' }
  ),
  PUBLIC_BASE_URL: Type.Optional(Text),
  TRUST_PROXY: Type.String({ minLength: 1, default: 'false' }),
  DOCS_ENABLED: Type.Boolean({ default: true }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 262144 }),
  SHUTDOWN_GRACE_MS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
  // 0 turns the event-loop check of the load shedding off (the heap check stays).
  OVERLOAD_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 1000 }),
  LOG_BUFFER_BYTES: Type.Integer({ minimum: 65_536, maximum: 1_073_741_824, default: 8 * 1024 * 1024 }),

  SECTIGO_MODE: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('sandbox')])),
  SECTIGO_BASE_URL: Type.String({ minLength: 1, default: 'https://secure.trust-provider.com/products/' }),
  SECTIGO_ALLOW_INSECURE_UPSTREAM: Type.Boolean({ default: false }),
  SECTIGO_LOGIN_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  SECTIGO_LOGIN_PASSWORD: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  SECTIGO_LOGIN_PASSWORD_FILE: Type.Optional(Text),
  SECTIGO_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 60_000 }),
  SECTIGO_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  SECTIGO_MAX_CONNECTIONS: Type.Integer({ minimum: 1, maximum: 10_000, default: 20 }),
  SECTIGO_MAX_QUEUE: Type.Integer({ minimum: 0, maximum: 100_000, default: 200 }),
  SECTIGO_QUEUE_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
  HTTPS_PROXY: Type.Optional(Text),
  NO_PROXY: Type.Optional(Type.String()),

  API_KEYS: Type.Optional(Text),
  API_KEYS_FILE: Type.Optional(Text),
  ALLOW_UNAUTHENTICATED: Type.Boolean({ default: false }),
  // Unset: 60 in live mode, 10000 in sandbox mode (load-config.ts).
  RATE_LIMIT_MAX: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 60_000 }),

  REDIS_URL: Type.Optional(Text),
  IDEMPOTENCY_STORE: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('redis')])),
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 31_536_000, default: 86_400 }),
  IDEMPOTENCY_MAX_ENTRIES: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000 }),
  // The memory store only. At least 1 MiB: each call in flight sets 16 KiB aside for its answer
  // (memory-store.ts); at most 4 GiB, V8's usual heap limit on 64-bit.
  IDEMPOTENCY_MAX_BYTES: Type.Integer({ minimum: 1_048_576, maximum: 4_294_967_296, default: 33_554_432 }),

  SIMULATOR_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
  SIMULATOR_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  SIMULATOR_LOGIN_NAME: Type.String({ minLength: 1, maxLength: 64, default: 'sandbox' }),
  SIMULATOR_LOGIN_PASSWORD: Type.String({ minLength: 1, maxLength: 128, default: 'sandbox' }),
  SIMULATOR_SLOW_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 90_000 }),

  // The image sets it from its REVISION build argument, for sectigo_proxy_build_info.
  BUILD_REVISION: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })),
  // OpenTelemetry's standard names; tracing-config.ts checks what a schema cannot (URLs, lists).
  OTEL_SDK_DISABLED: Type.Boolean({ default: false }),
  OTEL_TRACES_EXPORTER: Type.Union([Type.Literal('otlp'), Type.Literal('none')], { default: 'otlp' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Text),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Text),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Optional(Text),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: Type.Optional(Text),
  OTEL_EXPORTER_OTLP_HEADERS: Type.Optional(Text),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: Type.Optional(Text),
  OTEL_EXPORTER_OTLP_TIMEOUT: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  OTEL_RESOURCE_ATTRIBUTES: Type.Optional(Text),
  OTEL_TRACES_SAMPLER: Type.Union(
    ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'].map((s) =>
      Type.Literal(s)
    ),
    { default: 'parentbased_always_on' }
  ),
  OTEL_TRACES_SAMPLER_ARG: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  OTEL_BSP_SCHEDULE_DELAY: Type.Integer({ minimum: 1, maximum: 600_000, default: 5000 }),
  OTEL_BSP_MAX_QUEUE_SIZE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 2048 })
})

export type Env = Static<typeof EnvSchema>

/** Variables whose values are secrets: never echoed, not even in a validation message. */
export const SECRET_VARIABLES = new Set([
  'SECTIGO_LOGIN_PASSWORD',
  'API_KEYS',
  'SIMULATOR_LOGIN_PASSWORD',
  // They usually carry the tracing backend's API key.
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS'
])

/** Variables that may instead be read from the file named by `<NAME>_FILE`. */
export const FILE_VARIABLES = ['SECTIGO_LOGIN_PASSWORD', 'API_KEYS'] as const
