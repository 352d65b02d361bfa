import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import type { SectigoConfig } from '../config/load-config.js'
import { SERVICE_NAME, SERVICE_VERSION } from '../meta.js'
import type { Scrub } from '../security/scrubber.js'
import { MAX_RETRIES, RETRY_DELAY_MS } from './call-budget.js'
import { RETRY_POLICY, type Endpoint, type RetryPolicy } from './fields.js'
import { encodeForm, type FormFields } from './form-encoder.js'
import { BadReplyError, parseReply, type SectigoReply } from './response-parser.js'
import { buildUpstreamPool } from './upstream-pool.js'
import { UpstreamFailure, type FailureKind } from './upstream-failure.js'

export const MAX_REPLY_BYTES = 1024 * 1024

/** The upstream settings of the configuration, and what tests plug in. */
export interface SectigoClientOptions extends Omit<SectigoConfig, 'allowInsecureUpstream'> {
  /** A dispatcher to use instead of the client's own pool (tests pass undici's MockAgent). */
  dispatcher?: Dispatcher
  /** First retry delay; later ones double. Jittered ±50 %. */
  retryDelayMs?: number
  /** Applied to every decoded string of Sectigo's replies, before anything else sees it. */
  scrub?: Scrub
}

/** One attempt of a call: what the access line, the metrics and the trace spans are made of. */
export interface AttemptRecord {
  attempt: number
  /** Wall-clock start (epoch ms): handed to the connection pool. */
  startedAt: number
  /** From the hand-over to the first byte written: connecting, or a socket still closing. */
  connectMs?: number
  /** From the hand-over to the end of the attempt. */
  durationMs: number
  /** The first byte of the request was written to a socket: Sectigo may have it. */
  sent: boolean
  /** `reply` when Sectigo answered with a code, else the failure kind. */
  outcome: 'reply' | FailureKind
  errorCode?: number
  statusCode?: number
  /** The socket error's code (ECONNREFUSED, …), never its text. */
  code?: string
}

/** What became of one request's call to Sectigo, filled in as it goes. */
export interface SectigoCallRecord {
  endpoint: Endpoint
  /** Wall-clock start (epoch ms): the call asked for a connection slot. */
  startedAt: number
  /** Waiting for a free connection slot. */
  queuedMs: number
  /** Some attempt wrote its first byte: the call may have reached Sectigo. */
  sent: boolean
  attempts: AttemptRecord[]
  /** Sectigo's code, when it answered. */
  errorCode?: number
  /** How the call ended: `reply`, or the last failure's kind (`queue-full`, `timeout`, …). */
  outcome?: 'reply' | FailureKind
  durationMs: number
}

export function newCallRecord(endpoint: Endpoint): SectigoCallRecord {
  return { endpoint, startedAt: Date.now(), queuedMs: 0, sent: false, attempts: [], durationMs: 0 }
}

interface Waiter {
  deadline: number
  resolve: () => void
  reject: (err: UpstreamFailure) => void
}

const HEADERS = {
  'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  accept: 'application/x-www-form-urlencoded, text/plain',
  'user-agent': `${SERVICE_NAME}/${SERVICE_VERSION}`
}

/**
 * The client for Sectigo's legacy endpoints. A call goes through three bounded phases:
 *
 * 1. the queue: at most `maxConnections` calls are handed to the pool at once; up to `maxQueue`
 *    more wait, each at most `queueTimeoutMs`;
 * 2. connecting: `connectTimeoutMs`, enforced by the pool's connector;
 * 3. the attempt: `timeoutMs` from the first byte written to the last byte of the reply, as one
 *    deadline (a reply that trickles does not extend it).
 *
 * Nothing before the first write can have reached Sectigo. Retries follow the endpoint's policy
 * and keep the call's connection slot. Deadlines are checked by one sweep timer that runs only
 * while calls are waiting or in flight, not by a timer per call.
 */
export class SectigoClient {
  readonly #options: SectigoClientOptions
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean
  readonly #sockets: () => number
  readonly #origin: string
  readonly #path: string
  readonly #scrub: Scrub
  readonly #sweepEveryMs: number
  #busy = 0
  #waiting: Waiter[] = []
  readonly #attempts = new Set<AttemptHandler>()
  #sweeper: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: SectigoClientOptions) {
    this.#options = options
    this.#ownsDispatcher = options.dispatcher === undefined
    if (options.dispatcher) {
      this.#dispatcher = options.dispatcher
      this.#sockets = () => 0
    } else {
      const pool = buildUpstreamPool(options)
      this.#dispatcher = pool.dispatcher
      this.#sockets = () => pool.openSockets
    }
    const base = new URL(options.baseUrl)
    this.#origin = base.origin
    this.#path = base.pathname
    this.#scrub = options.scrub ?? ((text) => text)
    // A twentieth of the shortest bound, between 5 ms and 250 ms: a deadline holds to within that.
    this.#sweepEveryMs = Math.max(5, Math.min(250, Math.floor(Math.min(options.timeoutMs, options.queueTimeoutMs) / 20)))
  }

  /** Calls handed to the pool and not finished (each holds a connection slot). */
  get active(): number {
    return this.#busy
  }

  /** Calls waiting for a connection slot. */
  get queued(): number {
    return this.#waiting.length
  }

  /** Sockets to Sectigo open right now (0 when a test dispatcher is plugged in). */
  get openSockets(): number {
    return this.#sockets()
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
   * Calls `record.endpoint` with `fields` (the credentials are added here) and returns Sectigo's
   * reply, whatever its code; throws an UpstreamFailure when there is none. `record` is filled in
   * as the call goes, so that a caller sees what happened even when it throws.
   */
  async call(record: SectigoCallRecord, fields: FormFields): Promise<SectigoReply> {
    const started = performance.now()
    try {
      await this.#acquire()
    } catch (err) {
      record.queuedMs = performance.now() - started
      record.durationMs = record.queuedMs
      if (err instanceof UpstreamFailure) record.outcome = err.kind
      throw err
    }
    record.queuedMs = performance.now() - started
    // Encoded once: a retry sends the same bytes.
    const body = encodeForm(this.#withCredentials(fields))
    const policy = RETRY_POLICY[record.endpoint]
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const reply = await this.#attempt(record, body, attempt)
          record.errorCode = reply.errorCode
          record.outcome = 'reply'
          return reply
        } catch (err) {
          if (err instanceof UpstreamFailure) record.outcome = err.kind
          if (!(err instanceof UpstreamFailure) || attempt > MAX_RETRIES || !mayRetry(policy, err)) throw err
          await sleep(this.#backoff(attempt))
        }
      }
    } finally {
      record.durationMs = performance.now() - started
      this.#release()
    }
  }

  /** Lets calls in flight finish, then closes the pool; calls still waiting are refused (nothing sent). */
  async close(): Promise<void> {
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new UpstreamFailure('queue-timeout', 'the client is closing'))
    if (this.#ownsDispatcher && !this.#closed) {
      this.#closed = true
      await this.#dispatcher.close()
    }
  }

  /** Cuts every call short at once (the shutdown grace is over): their outcomes become unknown. */
  async destroy(): Promise<void> {
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new UpstreamFailure('queue-timeout', 'the client is closing'))
    if (this.#ownsDispatcher && !this.#closed) {
      this.#closed = true
      await this.#dispatcher.destroy()
    }
  }

  #withCredentials(fields: FormFields): FormFields {
    return [['loginName', this.#options.loginName], ['loginPassword', this.#options.loginPassword], ...fields]
  }

  #acquire(): Promise<void> | undefined {
    if (this.#busy < this.#options.maxConnections) {
      this.#busy++
      return undefined
    }
    if (this.#waiting.length >= this.#options.maxQueue) {
      throw new UpstreamFailure('queue-full', 'too many calls waiting')
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ deadline: performance.now() + this.#options.queueTimeoutMs, resolve, reject })
      this.#startSweep()
    })
  }

  #release(): void {
    const next = this.#waiting.shift()
    // The slot passes straight to the next waiter: `busy` stays the same.
    if (next) next.resolve()
    else this.#busy--
  }

  #backoff(attempt: number): number {
    const base = (this.#options.retryDelayMs ?? RETRY_DELAY_MS) * 2 ** (attempt - 1)
    return Math.round(base * (0.5 + Math.random()))
  }

  #attempt(record: SectigoCallRecord, body: string, attempt: number): Promise<SectigoReply> {
    return new Promise<SectigoReply>((resolve, reject) => {
      const handler = new AttemptHandler(this.#options.timeoutMs, this.#options.connectTimeoutMs, (result) => {
        this.#attempts.delete(handler)
        const entry: AttemptRecord = {
          attempt,
          startedAt: handler.startedAtEpoch,
          durationMs: performance.now() - handler.startedAt,
          sent: handler.sentAt !== undefined,
          outcome: 'reply'
        }
        if (handler.sentAt !== undefined) {
          entry.connectMs = handler.sentAt - handler.startedAt
          record.sent = true
        }
        if (handler.statusCode !== 0) entry.statusCode = handler.statusCode
        record.attempts.push(entry)
        if (result instanceof UpstreamFailure) {
          entry.outcome = result.kind
          if (result.details.code) entry.code = result.details.code
          return reject(result)
        }
        try {
          const reply = this.#read(handler)
          entry.errorCode = reply.errorCode
          resolve(reply)
        } catch (err) {
          const failure = err instanceof UpstreamFailure ? err : new UpstreamFailure('bad-reply', 'could not be read')
          entry.outcome = failure.kind
          reject(failure)
        }
      })
      this.#attempts.add(handler)
      this.#startSweep()
      this.#dispatcher.dispatch(
        {
          origin: this.#origin,
          path: this.#path + record.endpoint,
          method: 'POST',
          headers: HEADERS,
          body,
          // Backstops only: the sweep enforces the attempt's deadline as one figure.
          headersTimeout: this.#options.timeoutMs + 1000,
          bodyTimeout: this.#options.timeoutMs + 1000
        },
        handler
      )
    })
  }

  /** Sectigo's reply from a finished attempt, its text scrubbed of every configured secret. */
  #read(handler: AttemptHandler): SectigoReply {
    if (handler.statusCode < 200 || handler.statusCode >= 300) {
      throw new UpstreamFailure('http-status', `HTTP ${handler.statusCode}`, { statusCode: handler.statusCode })
    }
    const text = Buffer.concat(handler.chunks, handler.size).toString(handler.encoding)
    try {
      // Scrubbed once decoded: the scrubber withholds any string in which a decoding shows a secret.
      return this.#scrubbed(parseReply(text))
    } catch (err) {
      if (err instanceof BadReplyError) throw new UpstreamFailure('bad-reply', err.reason)
      throw err
    }
  }

  /** Every decoded string of a reply through the scrubber: an echo may be encoded in any way. */
  #scrubbed(reply: SectigoReply): SectigoReply {
    if (!this.#options.scrub) return reply
    const scrub = this.#scrub
    const values = new Map<string, readonly string[]>()
    for (const [key, list] of reply.values) values.set(key, list.map(scrub))
    return {
      ...reply,
      ...(reply.errorMessage !== undefined ? { errorMessage: scrub(reply.errorMessage) } : {}),
      ...(reply.errorItem !== undefined ? { errorItem: scrub(reply.errorItem) } : {}),
      ...(reply.errorDetail !== undefined ? { errorDetail: scrub(reply.errorDetail) } : {}),
      values,
      lines: reply.lines.map(scrub)
    }
  }

  #startSweep(): void {
    if (this.#sweeper) return
    this.#sweeper = setInterval(() => this.#sweep(), this.#sweepEveryMs)
    this.#sweeper.unref()
  }

  #sweep(): void {
    const now = performance.now()
    // Every waiter has the same bound and they queue in order: the expired ones are at the head.
    while (this.#waiting.length > 0 && (this.#waiting[0] as Waiter).deadline <= now) {
      ;(this.#waiting.shift() as Waiter).reject(new UpstreamFailure('queue-timeout', 'no connection came free in time'))
    }
    for (const handler of this.#attempts) handler.expire(now)
    if (this.#waiting.length === 0 && this.#attempts.size === 0) {
      clearInterval(this.#sweeper)
      this.#sweeper = undefined
    }
  }
}

function mayRetry(policy: RetryPolicy, failure: UpstreamFailure): boolean {
  if (policy === 'never') return false
  // Queue bounds are not retried: the slot was never had, and waiting again would double the bound.
  if (policy === 'not-sent') return failure.kind === 'connect'
  // A read: any transport failure, but not an answer (an HTTP error page or an unreadable body).
  return failure.kind === 'connect' || failure.kind === 'timeout' || failure.kind === 'lost'
}

class AbortReason extends Error {
  constructor(readonly kind: 'timeout' | 'too-large') {
    super(kind)
  }
}

/**
 * One attempt on undici's dispatch API: `onRequestStart` runs just before the request's first
 * byte is written to a connected socket, which is the line between "nothing was sent" and
 * "Sectigo may have it". The reply is collected up to MAX_REPLY_BYTES.
 */
class AttemptHandler implements Dispatcher.DispatchHandler {
  readonly startedAt = performance.now()
  readonly startedAtEpoch = Date.now()
  sentAt: number | undefined
  statusCode = 0
  encoding: BufferEncoding = 'utf8'
  chunks: Buffer[] = []
  size = 0
  #controller: Dispatcher.DispatchController | undefined
  #deadline: number
  #abortedFor: AbortReason['kind'] | undefined
  #done = false

  constructor(
    private readonly timeoutMs: number,
    connectTimeoutMs: number,
    private readonly settle: (result: UpstreamFailure | undefined) => void
  ) {
    // Before the first write, the connector's own timeout applies; this only catches a request
    // left waiting inside the pool (a socket still closing) well past it.
    this.#deadline = this.startedAt + connectTimeoutMs + 1000
  }

  /** Called by the sweep: aborts the attempt once its deadline has passed. */
  expire(now: number): void {
    if (now < this.#deadline || this.#done) return
    if (this.#controller) this.#abort('timeout')
    else this.#finish(new UpstreamFailure('connect', 'no connection within the connect timeout'))
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Given up on while still waiting for a socket, and already reported as not sent: aborting
    // here, before undici writes, keeps that true.
    if (this.#done) return controller.abort(new AbortReason('timeout'))
    this.#controller = controller
    this.sentAt = performance.now()
    this.#deadline = this.sentAt + this.timeoutMs
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.statusCode = statusCode
    const declared = Number(headers['content-length'])
    if (Number.isFinite(declared) && declared > MAX_REPLY_BYTES) return this.#abort('too-large')
    const contentType = headers['content-type']
    if (typeof contentType === 'string' && /charset="?(iso-8859-1|latin1|windows-1252)/i.test(contentType)) this.encoding = 'latin1'
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length
    if (this.size > MAX_REPLY_BYTES) return this.#abort('too-large')
    // An error page's body is not read, only its status.
    if (this.statusCode >= 200 && this.statusCode < 300) this.chunks.push(chunk)
  }

  onResponseEnd(): void {
    this.#finish(undefined)
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.#finish(this.#failure(err))
  }

  #abort(kind: AbortReason['kind']): void {
    this.#abortedFor = kind
    this.#controller?.abort(new AbortReason(kind))
  }

  #failure(err: Error): UpstreamFailure {
    const code = (err as { code?: unknown }).code
    const details = typeof code === 'string' ? { code } : {}
    if (this.#abortedFor === 'timeout') return new UpstreamFailure('timeout', 'attempt timed out')
    if (this.#abortedFor === 'too-large') return new UpstreamFailure('too-large', 'reply over 1 MiB')
    if (this.sentAt === undefined) return new UpstreamFailure('connect', 'connection failed', details)
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new UpstreamFailure('timeout', 'attempt timed out', details)
    return new UpstreamFailure('lost', 'connection lost', details)
  }

  #finish(result: UpstreamFailure | undefined): void {
    if (this.#done) return
    this.#done = true
    this.settle(result)
  }
}
