import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino'

/**
 * A request's logger: Fastify makes one for every request (`childLoggerFactory`), and a pino child
 * costs a new prototype and a serialisation of its bindings each time, which made megamorphic
 * every function that touches a logger. This one holds the bindings (the request id, and the trace
 * ids when tracing is on) and builds the pino child only when something logs through it: an error
 * path, a warning. The request's own line is written by the root logger with `fields()` in it,
 * one serialisation for the whole line (src/plugins/request-log.ts).
 */
export class RequestLogger implements FastifyBaseLogger {
  #child: Logger | undefined

  constructor(
    private readonly root: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions = {}
  ) {}

  /** The bindings as fields of a line written by the root logger: `requestId` first. */
  fields(): Readonly<Bindings> {
    return this.bindings
  }

  /** Adds bindings (the trace ids) to every later line of the request. */
  bind(extra: Bindings): void {
    Object.assign(this.bindings, extra)
    if (this.#child) this.#child = this.#child.child(extra)
  }

  #logger(): Logger {
    this.#child ??= this.root.child(this.bindings, this.options)
    return this.#child
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.root.level
  }

  set level(level: string) {
    this.#logger().level = level
  }

  isLevelEnabled(level: Level): boolean {
    return (this.#child ?? this.root).isLevelEnabled(level)
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options) as FastifyBaseLogger
  }

  // Methods on the prototype, not arrow fields: one object per request, no closures with it.
  fatal(...args: unknown[]): void {
    this.#write('fatal', args)
  }

  error(...args: unknown[]): void {
    this.#write('error', args)
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args)
  }

  info(...args: unknown[]): void {
    this.#write('info', args)
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args)
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args)
  }

  silent(): void {}

  /** The child is built only for a line that the level lets through. */
  #write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return
    const logger = this.#logger()
    ;(logger[level] as (...a: unknown[]) => void).apply(logger, args)
  }
}

/** Fastify's `childLoggerFactory`: a request's logger, its pino child made only when it writes. */
export function requestLoggerFactory(this: unknown, logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // Fastify makes `bindings` anew for each request: the request's logger may keep and extend it.
  return new RequestLogger(logger as Logger, bindings, options)
}
