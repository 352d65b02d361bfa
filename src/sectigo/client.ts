import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import { Agent, EnvHttpProxyAgent, buildConnector, request, type Dispatcher } from 'undici'
import type { SectigoConfig } from '../config/load-config.js'
import { SERVICE_NAME, SERVICE_VERSION } from '../meta.js'
import { encodeForm, type FormFields } from './form-encoder.js'
import { RETRY_POLICY, type Endpoint, type RetryPolicy } from './fields.js'
import { BadReplyError, parseReply, type SectigoReply } from './response-parser.js'
import { UpstreamFailure } from './upstream-failure.js'

export const MAX_REPLY_BYTES = 1024 * 1024
/** At most this many more attempts, as the endpoint's retry policy allows. */
const MAX_RETRIES = 2

/** The upstream settings of the configuration, and what tests and metrics plug in. */
export interface SectigoClientOptions extends Omit<SectigoConfig, 'allowInsecureUpstream'> {
  /** A dispatcher to use instead of the client's own pool (tests pass undici's MockAgent). */
  dispatcher?: Dispatcher
  /** First retry delay; later ones double. Jittered ±50 %. */
  retryDelayMs?: number
  observer?: CallObserver
}

/** One finished attempt, for metrics, and for the request's call record (traces are built from it). */
export interface AttemptRecord {
  endpoint: Endpoint
  attempt: number
  /** When the attempt began (epoch milliseconds, fractional), its wait for a connection included. */
  startedAt: number
  /** The part of the attempt spent waiting for a connection. undici's pool does not report it: 0 here. */
  queuedMs: number
  /** The whole attempt, from `startedAt`. */
  durationMs: number
  /** `reply` when Sectigo answered with a code, else the failure kind. */
  outcome: 'reply' | UpstreamFailure['kind']
  errorCode?: number
  /** Whether any byte of the request may have reached Sectigo. */
  sent: boolean
}

export interface CallObserver {
  attempt?(record: AttemptRecord): void
  inFlightChanged?(inFlight: number): void
}

export interface CallResult {
  reply: SectigoReply
  attempts: number
  durationMs: number
}

const kConnectPhase = Symbol('sectigo.connectPhase')

// Errors that can only happen before a connection exists, for paths where the connector cannot
// tag them (the egress proxy's tunnel).
const CONNECT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL'
])

function isConnectPhase(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  if ((err as Record<symbol, unknown>)[kConnectPhase] === true) return true
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && CONNECT_CODES.has(code)) return true
  // undici's ProxyAgent reports a refused CONNECT tunnel this way; the target was never reached.
  return /when HTTP Tunneling/.test(String((err as Error).message))
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * The client for Sectigo's legacy endpoints: one keep-alive pool per origin, bounded connections
 * and waiting calls, a connect timeout and a timeout per attempt, replies capped at 1 MiB, and
 * retries only for AutoUpdateDCV and only when the connection failed before anything was written.
 * AutoReplaceMC is never sent twice.
 */
export class SectigoClient {
  readonly #options: SectigoClientOptions
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean
  #active = 0

  constructor(options: SectigoClientOptions) {
    this.#options = options
    this.#ownsDispatcher = options.dispatcher === undefined
    this.#dispatcher = options.dispatcher ?? buildDispatcher(options)
  }

  /** Calls admitted and not yet finished: on a connection or waiting for one. */
  get inFlight(): number {
    return this.#active
  }

  /** The exact fields a call would send, with the password redacted (for `?dryRun=true`). */
  preview(fields: FormFields): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [name, value] of this.#withCredentials(fields)) {
      out[name] = name === 'loginPassword' ? '[redacted]' : value
    }
    return out
  }

  /**
   * `onAdmitted` runs once the call passed the queue bound: from then on, it may reach Sectigo.
   * Each finished attempt is pushed to `attempts`, if given, whether the call succeeds or throws.
   */
  async call(endpoint: Endpoint, fields: FormFields, log: FastifyBaseLogger, onAdmitted?: () => void, attempts?: AttemptRecord[]): Promise<CallResult> {
    const { maxConnections, maxQueue } = this.#options
    if (this.#active >= maxConnections + maxQueue) {
      log.warn({ sectigo: { endpoint, inFlight: this.#active } }, 'sectigo call refused: queue full')
      throw new UpstreamFailure('queue-full', 'too many calls waiting')
    }
    onAdmitted?.()
    // Encoded once: a retry sends the same bytes.
    const body = encodeForm(this.#withCredentials(fields))
    this.#setActive(this.#active + 1)
    const started = performance.now()
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const reply = await this.#attempt(endpoint, body, attempt, log, attempts)
          return { reply, attempts: attempt, durationMs: performance.now() - started }
        } catch (err) {
          const retryable = attempt <= MAX_RETRIES && err instanceof UpstreamFailure && mayRetry(RETRY_POLICY[endpoint], err)
          if (!retryable) throw err
          await sleep(this.#backoff(attempt))
        }
      }
    } finally {
      this.#setActive(this.#active - 1)
    }
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close()
  }

  #withCredentials(fields: FormFields): FormFields {
    return [['loginName', this.#options.loginName], ['loginPassword', this.#options.loginPassword], ...fields]
  }

  #setActive(value: number): void {
    this.#active = value
    this.#options.observer?.inFlightChanged?.(value)
  }

  #backoff(attempt: number): number {
    const base = (this.#options.retryDelayMs ?? 200) * 2 ** (attempt - 1)
    return Math.round(base * (0.5 + Math.random()))
  }

  async #attempt(endpoint: Endpoint, body: string, attempt: number, log: FastifyBaseLogger, attempts?: AttemptRecord[]): Promise<SectigoReply> {
    const started = performance.now()
    // Not AbortSignal.timeout: its timer stays armed after the call until the signal is collected
    // or SECTIGO_TIMEOUT_MS passes, piling up under load; this one is cleared at the end.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), this.#options.timeoutMs)
    timer.unref()
    const signal = controller.signal
    let statusCode: number | undefined
    const finish = (outcome: AttemptRecord['outcome'], extra: { errorCode?: number; code?: string } = {}, sent = true) => {
      const durationMs = Math.round((performance.now() - started) * 10) / 10
      const record: AttemptRecord = {
        endpoint,
        attempt,
        startedAt: performance.timeOrigin + started,
        queuedMs: 0,
        durationMs,
        outcome,
        sent,
        ...(extra.errorCode === undefined ? {} : { errorCode: extra.errorCode })
      }
      this.#options.observer?.attempt?.(record)
      attempts?.push(record)
      const line = { sectigo: { endpoint, attempt, durationMs, outcome, statusCode, ...extra } }
      if (outcome === 'reply') log.info(line, 'sectigo call')
      else log.warn(line, 'sectigo call failed')
    }

    try {
      const response = await request(this.#options.baseUrl + endpoint, {
        dispatcher: this.#dispatcher,
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          accept: 'application/x-www-form-urlencoded, text/plain',
          'user-agent': `${SERVICE_NAME}/${SERVICE_VERSION}`
        },
        signal,
        headersTimeout: this.#options.timeoutMs,
        bodyTimeout: this.#options.timeoutMs
      })
      statusCode = response.statusCode
      if (statusCode < 200 || statusCode >= 300) {
        await response.body.dump().catch(() => undefined)
        throw new UpstreamFailure('http-status', `HTTP ${statusCode}`, { statusCode })
      }
      const text = await readCapped(response.body, response.headers)
      let reply: SectigoReply
      try {
        reply = parseReply(text)
      } catch (err) {
        if (err instanceof BadReplyError) throw new UpstreamFailure('bad-reply', err.reason)
        throw err
      }
      finish('reply', { errorCode: reply.errorCode })
      return reply
    } catch (err) {
      const failure = toFailure(err, signal)
      finish(failure.kind, failure.details.code ? { code: failure.details.code } : {}, failure.outcome !== 'not-sent')
      throw failure
    } finally {
      clearTimeout(timer)
    }
  }
}

function mayRetry(policy: RetryPolicy, failure: UpstreamFailure): boolean {
  if (policy === 'never') return false
  if (policy === 'not-sent') return failure.outcome === 'not-sent' && failure.kind !== 'queue-full'
  // A read: any transport failure, but not an answer (an HTTP error page or an unreadable body).
  return failure.kind === 'connect' || failure.kind === 'timeout' || failure.kind === 'lost'
}

function toFailure(err: unknown, signal: AbortSignal): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err
  const code = errorCode(err)
  const details = code ? { code } : {}
  // The per-attempt signal fired: headers or body did not arrive within SECTIGO_TIMEOUT_MS.
  if (signal.aborted) return new UpstreamFailure('timeout', 'attempt timed out', details)
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new UpstreamFailure('timeout', 'attempt timed out', details)
  }
  if (isConnectPhase(err)) return new UpstreamFailure('connect', 'connection failed', details)
  return new UpstreamFailure('lost', 'connection lost', details)
}

async function readCapped(body: Dispatcher.ResponseData['body'], headers: Dispatcher.ResponseData['headers']): Promise<string> {
  const declared = Number(headers['content-length'])
  if (Number.isFinite(declared) && declared > MAX_REPLY_BYTES) {
    body.destroy()
    throw new UpstreamFailure('too-large', 'reply over 1 MiB')
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_REPLY_BYTES) {
      body.destroy()
      throw new UpstreamFailure('too-large', 'reply over 1 MiB')
    }
    chunks.push(chunk)
  }
  const contentType = String(headers['content-type'] ?? '')
  const charset = /charset="?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase()
  const encoding = charset === 'iso-8859-1' || charset === 'latin1' || charset === 'windows-1252' ? 'latin1' : 'utf8'
  return Buffer.concat(chunks).toString(encoding)
}

function buildDispatcher(options: SectigoClientOptions): Dispatcher {
  const base = buildConnector({ timeout: options.connectTimeoutMs })
  // Every error from the connector happened before a request byte could be written: tag it so
  // that only those failures count as "nothing was sent".
  const connect: buildConnector.connector = (opts, callback) => {
    base(opts, (...args) => {
      const [err] = args
      if (err) Object.defineProperty(err, kConnectPhase, { value: true })
      callback(...args)
    })
  }
  const common = {
    connections: options.maxConnections,
    keepAliveTimeout: 30_000,
    pipelining: 1
  }
  if (options.httpsProxy) {
    return new EnvHttpProxyAgent({
      ...common,
      connect: { timeout: options.connectTimeoutMs },
      httpsProxy: options.httpsProxy,
      // Sectigo is https; a plain-http base URL (a local simulator) goes direct, never to the proxy.
      httpProxy: '',
      noProxy: options.noProxy ?? ''
    })
  }
  return new Agent({ ...common, connect })
}
