import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import envSchema from 'env-schema'
import { EnvSchema, FILE_VARIABLES, type Env } from './env-schema.js'
import { parseApiKeys, type ApiKeyEntry } from './api-keys.js'
import { TracingConfigError, tracingConfig, type TracingConfig } from './tracing-config.js'

export type Mode = 'live' | 'sandbox'

export interface SectigoConfig {
  /** Always ends with `/`; endpoint URL = baseUrl + endpoint name. */
  baseUrl: string
  allowInsecureUpstream: boolean
  loginName: string
  loginPassword: string
  timeoutMs: number
  connectTimeoutMs: number
  maxConnections: number
  maxQueue: number
  httpsProxy?: string
  noProxy?: string
}

export interface Config {
  nodeEnv?: string
  port: number
  host: string
  logLevel: string
  publicBaseUrl?: string
  trustProxy: boolean | number | string
  docsEnabled: boolean
  bodyLimitBytes: number
  shutdownGraceMs: number
  mode: Mode
  /** In sandbox mode the URL and credentials are the in-process simulator's, filled in at start. */
  sectigo: SectigoConfig
  apiKeys: ApiKeyEntry[]
  allowUnauthenticated: boolean
  rateLimit: { max: number; windowMs: number }
  redisUrl?: string
  idempotency: { store: 'memory' | 'redis'; ttlSeconds: number; maxEntries: number }
  simulator: { port: number; host: string; loginName: string; loginPassword: string; slowMs: number }
  /** OpenTelemetry tracing; absent (off) unless an OTLP endpoint is configured. */
  tracing?: TracingConfig
  /** Startup notes for the log: insecure upstream, ignored variables. Never hold a secret. */
  warnings: string[]
}

/** A bad configuration: `variable` names the culprit, `message` never holds a secret value. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string
  ) {
    super(`${variable} ${problem}`)
    this.name = 'ConfigError'
  }
}

type RawEnv = Record<string, string | undefined>

/**
 * Reads and validates the whole configuration once. `env` is passed in (never read from
 * `process.env` here) so that tests and the server share one path.
 */
export function loadConfig(env: RawEnv): Config {
  const raw = withFileSecrets(dropEmpty(env))
  const parsed = validateEnv(raw)
  const warnings: string[] = []

  if (parsed.SECTIGO_LOGIN_PASSWORD !== undefined && parsed.SECTIGO_LOGIN_NAME === undefined) {
    throw new ConfigError('SECTIGO_LOGIN_PASSWORD', 'is set without SECTIGO_LOGIN_NAME')
  }
  if (parsed.SECTIGO_CONNECT_TIMEOUT_MS > parsed.SECTIGO_TIMEOUT_MS) {
    throw new ConfigError('SECTIGO_CONNECT_TIMEOUT_MS', 'must not exceed SECTIGO_TIMEOUT_MS')
  }

  const production = parsed.NODE_ENV === 'production'
  const mode = chooseMode(parsed, production)

  const apiKeys = parsed.API_KEYS === undefined ? [] : parseKeys(parsed.API_KEYS)
  if (mode === 'live' && apiKeys.length === 0 && !parsed.ALLOW_UNAUTHENTICATED) {
    throw new ConfigError(
      'API_KEYS',
      'is required in live mode (set API_KEYS or API_KEYS_FILE, or ALLOW_UNAUTHENTICATED=true behind a mesh)'
    )
  }

  const sectigo = sectigoConfig(parsed, mode, warnings)

  const idempotencyStore = parsed.IDEMPOTENCY_STORE ?? (parsed.REDIS_URL ? 'redis' : 'memory')
  if (idempotencyStore === 'redis' && !parsed.REDIS_URL) {
    throw new ConfigError('IDEMPOTENCY_STORE', 'is redis but REDIS_URL is not set')
  }
  if (parsed.REDIS_URL !== undefined) checkUrl('REDIS_URL', parsed.REDIS_URL, ['redis:', 'rediss:'])
  if (parsed.PUBLIC_BASE_URL !== undefined) checkUrl('PUBLIC_BASE_URL', parsed.PUBLIC_BASE_URL, ['http:', 'https:'])

  const shutdownGraceMs = parsed.SHUTDOWN_GRACE_MS ?? parsed.SECTIGO_TIMEOUT_MS + 5000
  if (shutdownGraceMs <= parsed.SECTIGO_TIMEOUT_MS) {
    warnings.push('SHUTDOWN_GRACE_MS is not above SECTIGO_TIMEOUT_MS: a call in flight at shutdown may be cut off')
  }

  const tracing = readTracing(parsed, warnings)

  return {
    nodeEnv: parsed.NODE_ENV,
    port: parsed.PORT,
    host: parsed.HOST,
    logLevel: parsed.LOG_LEVEL,
    publicBaseUrl: parsed.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    trustProxy: parseTrustProxy(parsed.TRUST_PROXY),
    docsEnabled: parsed.DOCS_ENABLED,
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    shutdownGraceMs,
    mode,
    sectigo,
    apiKeys,
    allowUnauthenticated: parsed.ALLOW_UNAUTHENTICATED,
    rateLimit: { max: parsed.RATE_LIMIT_MAX, windowMs: parsed.RATE_LIMIT_WINDOW_MS },
    redisUrl: parsed.REDIS_URL,
    idempotency: {
      store: idempotencyStore,
      ttlSeconds: parsed.IDEMPOTENCY_TTL_SECONDS,
      maxEntries: parsed.IDEMPOTENCY_MAX_ENTRIES
    },
    simulator: {
      port: parsed.SIMULATOR_PORT,
      host: parsed.SIMULATOR_HOST,
      loginName: parsed.SIMULATOR_LOGIN_NAME,
      loginPassword: parsed.SIMULATOR_LOGIN_PASSWORD,
      slowMs: parsed.SIMULATOR_SLOW_MS
    },
    ...(tracing ? { tracing } : {}),
    warnings
  }
}

function readTracing(env: Env, warnings: string[]): TracingConfig | undefined {
  try {
    return tracingConfig(env, warnings)
  } catch (err) {
    if (err instanceof TracingConfigError) throw new ConfigError(err.variable, err.problem)
    throw err
  }
}

// Compose files and shells often pass `VAR=` for "unset": treat an empty value as absent.
function dropEmpty(env: RawEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') out[key] = value
  }
  return out
}

function withFileSecrets(env: Record<string, string>): Record<string, string> {
  const out = { ...env }
  for (const name of FILE_VARIABLES) {
    const fileVar = `${name}_FILE`
    const path = out[fileVar]
    if (path === undefined) continue
    if (out[name] !== undefined) throw new ConfigError(name, `and ${fileVar} are both set; set only one`)
    let content: string
    try {
      content = readFileSync(path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      throw new ConfigError(fileVar, `names a file that cannot be read (${code})`)
    }
    // One trailing newline is what `echo` and most secret stores add; it is not part of the secret.
    content = content.replace(/\r?\n$/, '')
    if (content === '') throw new ConfigError(fileVar, 'names an empty file')
    out[name] = content
  }
  // The schema knows no *_FILE variables: they have been read into their twins.
  return Object.fromEntries(Object.entries(out).filter(([key]) => !FILE_VARIABLES.some((name) => key === `${name}_FILE`)))
}

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

function validateEnv(env: Record<string, string>): Env {
  try {
    // env-schema mutates its schema (additionalProperties), so give it a copy.
    return envSchema<Env>({ schema: structuredClone(EnvSchema), data: env, env: false })
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors ?? []
    const first = errors[0]
    if (!first) throw new ConfigError('environment', 'is invalid')
    const variable = first.instancePath.replace(/^\//, '') || String(first.params.missingProperty ?? 'environment')
    const sameVariable = errors.filter((e) => e.instancePath === first.instancePath)
    throw new ConfigError(variable, describeAjvError(first, sameVariable))
  }
}

// Ajv's messages never quote the value, which keeps secrets out of them. A union of literals
// fails on every branch: list the allowed values instead.
function describeAjvError(error: AjvError, sameVariable: AjvError[]): string {
  if (sameVariable.some((e) => e.keyword === 'anyOf')) {
    const allowed = sameVariable.filter((e) => e.keyword === 'const').map((e) => String(e.params.allowedValue))
    return `is not one of the allowed values (${allowed.join(', ')})`
  }
  if (error.keyword === 'type') return `must be ${error.params.type === 'integer' ? 'an integer' : `a ${String(error.params.type)}`}`
  return error.message ?? 'is invalid'
}

function chooseMode(env: Env, production: boolean): Mode {
  if (env.SECTIGO_MODE) return env.SECTIGO_MODE
  if (env.SECTIGO_LOGIN_NAME !== undefined) return 'live'
  if (production) {
    throw new ConfigError(
      'SECTIGO_LOGIN_NAME',
      'is required with NODE_ENV=production (or set SECTIGO_MODE=sandbox explicitly)'
    )
  }
  return 'sandbox'
}

function sectigoConfig(env: Env, mode: Mode, warnings: string[]): SectigoConfig {
  const common = {
    allowInsecureUpstream: env.SECTIGO_ALLOW_INSECURE_UPSTREAM,
    timeoutMs: env.SECTIGO_TIMEOUT_MS,
    connectTimeoutMs: env.SECTIGO_CONNECT_TIMEOUT_MS,
    maxConnections: env.SECTIGO_MAX_CONNECTIONS,
    maxQueue: env.SECTIGO_MAX_QUEUE
  }
  if (mode === 'sandbox') {
    const ignored = ['SECTIGO_LOGIN_NAME', 'SECTIGO_LOGIN_PASSWORD', 'HTTPS_PROXY'].filter(
      (name) => env[name as keyof Env] !== undefined
    )
    if (env.SECTIGO_BASE_URL !== 'https://secure.trust-provider.com/products/') ignored.unshift('SECTIGO_BASE_URL')
    if (ignored.length > 0) warnings.push(`sandbox mode ignores ${ignored.join(', ')}`)
    // Filled in with the in-process simulator's address and account when it starts.
    return { ...common, baseUrl: '', loginName: '', loginPassword: '' }
  }

  if (env.SECTIGO_LOGIN_NAME === undefined) {
    throw new ConfigError('SECTIGO_LOGIN_NAME', 'is required in live mode')
  }
  if (env.SECTIGO_LOGIN_PASSWORD === undefined) {
    throw new ConfigError('SECTIGO_LOGIN_PASSWORD', 'is required in live mode (or SECTIGO_LOGIN_PASSWORD_FILE)')
  }

  const url = checkUrl('SECTIGO_BASE_URL', env.SECTIGO_BASE_URL, ['http:', 'https:'])
  if (url.username || url.password) {
    throw new ConfigError('SECTIGO_BASE_URL', 'must not carry credentials')
  }
  if (url.search || url.hash) throw new ConfigError('SECTIGO_BASE_URL', 'must not have a query or fragment')
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    if (!env.SECTIGO_ALLOW_INSECURE_UPSTREAM) {
      throw new ConfigError(
        'SECTIGO_BASE_URL',
        'must use https: unless its host is loopback or SECTIGO_ALLOW_INSECURE_UPSTREAM=true'
      )
    }
    warnings.push(`SECTIGO_ALLOW_INSECURE_UPSTREAM=true: the Sectigo password crosses the network unencrypted to ${url.host}`)
  }

  let httpsProxy: string | undefined
  if (env.HTTPS_PROXY !== undefined) {
    const proxy = checkUrl('HTTPS_PROXY', env.HTTPS_PROXY, ['http:', 'https:'])
    httpsProxy = proxy.href
  }

  const href = url.href.endsWith('/') ? url.href : `${url.href}/`
  return {
    ...common,
    baseUrl: href,
    loginName: env.SECTIGO_LOGIN_NAME,
    loginPassword: env.SECTIGO_LOGIN_PASSWORD,
    httpsProxy,
    noProxy: env.NO_PROXY
  }
}

function parseKeys(text: string): ApiKeyEntry[] {
  try {
    return parseApiKeys(text)
  } catch (err) {
    throw new ConfigError('API_KEYS', (err as Error).message)
  }
}

function checkUrl(variable: string, value: string, protocols: string[]): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(variable, 'is not a valid URL')
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(variable, `must use ${protocols.join(' or ')}`)
  }
  return url
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1'
  return false
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true
  if (value === 'false') return false
  if (/^\d+$/.test(value)) return Number(value)
  return value
}
