import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import envSchema from 'env-schema'
import { EnvSchema, FILE_VARIABLES, type Env } from './env-schema.js'
import { parseApiKeys, type ApiKeyEntry } from './api-keys.js'
import { longestInFlightMs } from '../sectigo/call-budget.js'
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
  /** How long a call may wait for a free connection before it is refused (nothing sent). */
  queueTimeoutMs: number
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
  /** The longest one call can stay in flight (queue, connect attempts, attempt timeouts): see call-budget.ts. */
  longestCallMs: number
  /** Log lines waiting for a slow stdout reader are kept up to this many bytes, then dropped and counted. */
  logBufferBytes: number
  /** Requests are shed (503) while the event loop lags more than this; 0: never for the lag. */
  overloadEventLoopDelayMs: number
  mode: Mode
  /** In sandbox mode the URL and credentials are the in-process simulator's, filled in at start. */
  sectigo: SectigoConfig
  apiKeys: ApiKeyEntry[]
  allowUnauthenticated: boolean
  rateLimit: { max: number; windowMs: number }
  redisUrl?: string
  /** `maxEntries` and `maxBytes` bound the memory store only; Redis has its own memory policy. */
  idempotency: { store: 'memory' | 'redis'; ttlSeconds: number; maxEntries: number; maxBytes: number }
  simulator: { port: number; host: string; loginName: string; loginPassword: string; slowMs: number }
  /** The source revision the build came from (BUILD_REVISION, set by the image), or `unknown`. */
  revision: string
  /** OpenTelemetry tracing; absent (off) unless an OTLP endpoint is configured. */
  tracing?: TracingConfig
  /** Startup notes for the log: insecure upstream, ignored variables. Never hold a secret. */
  warnings: string[]
}

/** One bad variable: `problem` never holds a secret value. */
export interface ConfigIssue {
  variable: string
  problem: string
}

/**
 * A bad configuration: every bad variable at once, one line each (`message`); `variable` names
 * the first culprit.
 */
export class ConfigError extends Error {
  readonly variable: string

  constructor(readonly issues: readonly [ConfigIssue, ...ConfigIssue[]]) {
    super(issues.map((i) => `${i.variable} ${i.problem}`).join('\n'))
    this.name = 'ConfigError'
    this.variable = issues[0].variable
  }
}

/** Collects the problems of one load, so that all of them are reported together. */
class Issues {
  readonly list: ConfigIssue[] = []

  add(variable: string, problem: string): void {
    this.list.push({ variable, problem })
  }

  throwIfAny(): void {
    const [first, ...rest] = this.list
    if (first) throw new ConfigError([first, ...rest])
  }
}

type RawEnv = Record<string, string | undefined>

/** RATE_LIMIT_MAX when unset: live mode protects Sectigo's call budget; the sandbox has none. */
export const LIVE_RATE_LIMIT_MAX = 60
export const SANDBOX_RATE_LIMIT_MAX = 10_000

/**
 * Reads and validates the whole configuration once. `env` is passed in (never read from
 * `process.env` here) so that tests and the server share one path.
 */
export function loadConfig(env: RawEnv): Config {
  const issues = new Issues()
  const raw = withFileSecrets(dropEmpty(env), issues)
  const parsed = validateEnv(raw, issues)
  const warnings: string[] = []

  if (parsed.SECTIGO_LOGIN_PASSWORD !== undefined && parsed.SECTIGO_LOGIN_NAME === undefined) {
    issues.add('SECTIGO_LOGIN_PASSWORD', 'is set without SECTIGO_LOGIN_NAME')
  }
  if (parsed.SECTIGO_CONNECT_TIMEOUT_MS > parsed.SECTIGO_TIMEOUT_MS) {
    issues.add('SECTIGO_CONNECT_TIMEOUT_MS', 'must not exceed SECTIGO_TIMEOUT_MS')
  }

  const production = parsed.NODE_ENV === 'production'
  const mode = chooseMode(parsed, production, issues)

  // The account first: a login name without a password is reported as that, before the keys.
  const sectigo = sectigoConfig(parsed, mode, warnings, issues)

  const keysBefore = issues.list.length
  const apiKeys = parsed.API_KEYS === undefined ? [] : parseKeys(parsed.API_KEYS, issues)
  const keysInvalid = issues.list.length > keysBefore
  if (mode === 'live' && apiKeys.length === 0 && !keysInvalid && !parsed.ALLOW_UNAUTHENTICATED) {
    issues.add('API_KEYS', 'is required in live mode (set API_KEYS or API_KEYS_FILE, or ALLOW_UNAUTHENTICATED=true behind a mesh)')
  }

  const idempotencyStore = parsed.IDEMPOTENCY_STORE ?? (parsed.REDIS_URL ? 'redis' : 'memory')
  if (idempotencyStore === 'memory' && mode === 'live') {
    warnings.push(
      'the memory idempotency store forgets every key when the process restarts: a replacement retried with its Idempotency-Key after a restart can be sent again; set REDIS_URL (with persistence) to keep keys across restarts'
    )
  }
  if (idempotencyStore === 'redis') {
    const ignored = ['IDEMPOTENCY_MAX_ENTRIES', 'IDEMPOTENCY_MAX_BYTES'].filter((name) => raw[name] !== undefined)
    if (ignored.length > 0) warnings.push(`the redis idempotency store ignores ${ignored.join(', ')}: they bound the memory store; Redis' own memory settings bound Redis`)
  }
  if (idempotencyStore === 'redis' && !parsed.REDIS_URL) {
    issues.add('IDEMPOTENCY_STORE', 'is redis but REDIS_URL is not set')
  }
  if (parsed.REDIS_URL !== undefined) checkUrl('REDIS_URL', parsed.REDIS_URL, ['redis:', 'rediss:'], issues)
  if (parsed.PUBLIC_BASE_URL !== undefined) checkUrl('PUBLIC_BASE_URL', parsed.PUBLIC_BASE_URL, ['http:', 'https:'], issues)

  const longestCallMs = longestInFlightMs(sectigo)
  const shutdownGraceMs = parsed.SHUTDOWN_GRACE_MS ?? longestCallMs + 5000
  if (shutdownGraceMs < longestCallMs) {
    warnings.push(`SHUTDOWN_GRACE_MS is below the longest time a call can stay in flight (${longestCallMs} ms): a call in flight at shutdown may be cut off`)
  }
  // A record that expires while its call may still be running lets a retry send it again.
  const shortestTtlSeconds = Math.ceil((longestCallMs + 30_000) / 1000)
  if (parsed.IDEMPOTENCY_TTL_SECONDS < shortestTtlSeconds) {
    issues.add(
      'IDEMPOTENCY_TTL_SECONDS',
      `must be at least ${shortestTtlSeconds}: the longest time one call can stay in flight (${longestCallMs} ms, from the SECTIGO_*_TIMEOUT_MS settings) plus 30 s`
    )
  }

  const tracing = readTracing(parsed, warnings, issues)

  issues.throwIfAny()

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
    longestCallMs,
    logBufferBytes: parsed.LOG_BUFFER_BYTES,
    overloadEventLoopDelayMs: parsed.OVERLOAD_EVENT_LOOP_DELAY_MS,
    mode: mode ?? 'live',
    sectigo,
    apiKeys,
    allowUnauthenticated: parsed.ALLOW_UNAUTHENTICATED,
    // The sandbox is for trying the API: its default limit does not get in the way of that.
    rateLimit: { max: parsed.RATE_LIMIT_MAX ?? (mode === 'sandbox' ? SANDBOX_RATE_LIMIT_MAX : LIVE_RATE_LIMIT_MAX), windowMs: parsed.RATE_LIMIT_WINDOW_MS },
    redisUrl: parsed.REDIS_URL,
    idempotency: {
      store: idempotencyStore,
      ttlSeconds: parsed.IDEMPOTENCY_TTL_SECONDS,
      maxEntries: parsed.IDEMPOTENCY_MAX_ENTRIES,
      maxBytes: parsed.IDEMPOTENCY_MAX_BYTES
    },
    simulator: {
      port: parsed.SIMULATOR_PORT,
      host: parsed.SIMULATOR_HOST,
      loginName: parsed.SIMULATOR_LOGIN_NAME,
      loginPassword: parsed.SIMULATOR_LOGIN_PASSWORD,
      slowMs: parsed.SIMULATOR_SLOW_MS
    },
    revision: parsed.BUILD_REVISION ?? 'unknown',
    ...(tracing ? { tracing } : {}),
    warnings
  }
}

function readTracing(env: Env, warnings: string[], issues: Issues): TracingConfig | undefined {
  try {
    return tracingConfig(env, warnings)
  } catch (err) {
    if (err instanceof TracingConfigError) {
      issues.add(err.variable, err.problem)
      return undefined
    }
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

function withFileSecrets(env: Record<string, string>, issues: Issues): Record<string, string> {
  const out = { ...env }
  for (const name of FILE_VARIABLES) {
    const fileVar = `${name}_FILE`
    const path = out[fileVar]
    if (path === undefined) continue
    if (out[name] !== undefined) {
      issues.add(name, `and ${fileVar} are both set; set only one`)
      continue
    }
    let content: string
    try {
      content = readFileSync(path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      issues.add(fileVar, `names a file that cannot be read (${code})`)
      continue
    }
    // One trailing newline is what `echo` and most secret stores add; it is not part of the secret.
    content = content.replace(/\r?\n$/, '')
    if (content === '') issues.add(fileVar, 'names an empty file')
    else out[name] = content
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

function validateEnv(env: Record<string, string>, issues: Issues): Env {
  const run = (data: Record<string, string>): Env =>
    // env-schema mutates its schema (additionalProperties), so give it a copy.
    envSchema<Env>({ schema: structuredClone(EnvSchema), data, env: false })
  try {
    return run(env)
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors ?? []
    if (errors.length === 0) {
      issues.add('environment', 'is invalid')
      return run({})
    }
    // Ajv reports every error (allErrors): one line per variable, then the rest is read
    // without the bad ones, so that the checks across variables still find their problems.
    const byVariable = new Map<string, AjvError[]>()
    for (const e of errors) {
      const variable = e.instancePath.replace(/^\//, '') || String(e.params.missingProperty ?? 'environment')
      byVariable.set(variable, [...(byVariable.get(variable) ?? []), e])
    }
    for (const [variable, own] of byVariable) issues.add(variable, describeAjvError(own[0] as AjvError, own))
    const rest = Object.fromEntries(Object.entries(env).filter(([name]) => !byVariable.has(name)))
    return run(rest)
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

function chooseMode(env: Env, production: boolean, issues: Issues): Mode | undefined {
  if (env.SECTIGO_MODE) return env.SECTIGO_MODE
  if (env.SECTIGO_LOGIN_NAME !== undefined) return 'live'
  if (production) {
    issues.add('SECTIGO_LOGIN_NAME', 'is required with NODE_ENV=production (or set SECTIGO_MODE=sandbox explicitly)')
    return undefined
  }
  return 'sandbox'
}

function sectigoConfig(env: Env, mode: Mode | undefined, warnings: string[], issues: Issues): SectigoConfig {
  const common = {
    allowInsecureUpstream: env.SECTIGO_ALLOW_INSECURE_UPSTREAM,
    timeoutMs: env.SECTIGO_TIMEOUT_MS,
    connectTimeoutMs: env.SECTIGO_CONNECT_TIMEOUT_MS,
    maxConnections: env.SECTIGO_MAX_CONNECTIONS,
    maxQueue: env.SECTIGO_MAX_QUEUE,
    queueTimeoutMs: env.SECTIGO_QUEUE_TIMEOUT_MS
  }
  const unset = { ...common, baseUrl: '', loginName: '', loginPassword: '' }
  // Undecided (already reported): nothing more to check here.
  if (mode === undefined) return unset
  if (mode === 'sandbox') {
    const ignored = ['SECTIGO_LOGIN_NAME', 'SECTIGO_LOGIN_PASSWORD', 'HTTPS_PROXY'].filter(
      (name) => env[name as keyof Env] !== undefined
    )
    if (env.SECTIGO_BASE_URL !== 'https://secure.trust-provider.com/products/') ignored.unshift('SECTIGO_BASE_URL')
    if (ignored.length > 0) warnings.push(`sandbox mode ignores ${ignored.join(', ')}`)
    // Filled in with the in-process simulator's address and account when it starts.
    return unset
  }

  if (env.SECTIGO_LOGIN_NAME === undefined) issues.add('SECTIGO_LOGIN_NAME', 'is required in live mode')
  if (env.SECTIGO_LOGIN_PASSWORD === undefined) {
    issues.add(
      'SECTIGO_LOGIN_PASSWORD',
      env.SECTIGO_LOGIN_NAME === undefined
        ? 'is required in live mode (or SECTIGO_LOGIN_PASSWORD_FILE)'
        : 'is not set: SECTIGO_LOGIN_NAME is set without a password (set SECTIGO_LOGIN_PASSWORD or SECTIGO_LOGIN_PASSWORD_FILE)'
    )
  }

  const url = checkUrl('SECTIGO_BASE_URL', env.SECTIGO_BASE_URL, ['http:', 'https:'], issues)
  if (url) {
    if (url.username || url.password) issues.add('SECTIGO_BASE_URL', 'must not carry credentials')
    if (url.search || url.hash) issues.add('SECTIGO_BASE_URL', 'must not have a query or fragment')
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      if (!env.SECTIGO_ALLOW_INSECURE_UPSTREAM) {
        issues.add('SECTIGO_BASE_URL', 'must use https: unless its host is loopback or SECTIGO_ALLOW_INSECURE_UPSTREAM=true')
      } else {
        warnings.push(`SECTIGO_ALLOW_INSECURE_UPSTREAM=true: the Sectigo password crosses the network unencrypted to ${url.host}`)
      }
    }
  }

  const httpsProxy = env.HTTPS_PROXY === undefined ? undefined : checkUrl('HTTPS_PROXY', env.HTTPS_PROXY, ['http:', 'https:'], issues)?.href

  const href = url === undefined ? '' : url.href.endsWith('/') ? url.href : `${url.href}/`
  return {
    ...common,
    baseUrl: href,
    loginName: env.SECTIGO_LOGIN_NAME ?? '',
    loginPassword: env.SECTIGO_LOGIN_PASSWORD ?? '',
    httpsProxy,
    noProxy: env.NO_PROXY
  }
}

function parseKeys(text: string, issues: Issues): ApiKeyEntry[] {
  try {
    return parseApiKeys(text)
  } catch (err) {
    issues.add('API_KEYS', (err as Error).message)
    return []
  }
}

function checkUrl(variable: string, value: string, protocols: string[], issues: Issues): URL | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    issues.add(variable, 'is not a valid URL')
    return undefined
  }
  if (!protocols.includes(url.protocol)) {
    issues.add(variable, `must use ${protocols.join(' or ')}`)
    return undefined
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
