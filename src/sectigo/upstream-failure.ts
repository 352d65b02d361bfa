import { ProblemError } from '../problems/problem-error.js'

/**
 * Why a call produced no Sectigo reply. The first three happen before the first byte of the
 * request is written to a socket (the queue was full, no connection came free in time, the
 * connection could not be opened): nothing was sent. Every other kind may have reached Sectigo.
 */
export type FailureKind = 'queue-full' | 'queue-timeout' | 'connect' | 'timeout' | 'lost' | 'http-status' | 'too-large' | 'bad-reply'

const NOT_SENT: ReadonlySet<FailureKind> = new Set(['queue-full', 'queue-timeout', 'connect'])

export class UpstreamFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly details: { statusCode?: number; code?: string } = {}
  ) {
    super(message)
    this.name = 'UpstreamFailure'
  }

  get outcome(): 'not-sent' | 'unknown' {
    return NOT_SENT.has(this.kind) ? 'not-sent' : 'unknown'
  }
}

const MAY_HAVE_CHANGED = 'The request may have reached Sectigo, so the change may have been made; check the order before repeating it.'

/** The problem a caller sees for a failed call; never quotes the underlying error's text. */
export function problemForFailure(failure: UpstreamFailure, read = false): ProblemError {
  // A read changes nothing at Sectigo: when it went wrong after being sent, nothing is unknown.
  if (read && failure.outcome === 'unknown') return readFailed(failure)
  switch (failure.kind) {
    case 'queue-full':
      return new ProblemError('upstream-unavailable', {
        detail: 'Too many calls to Sectigo are already waiting; nothing was sent.'
      })
    case 'queue-timeout':
      return new ProblemError('upstream-unavailable', {
        detail: 'No connection to Sectigo came free in time; nothing was sent.'
      })
    case 'connect':
      return new ProblemError('upstream-unavailable', {
        detail: 'The service could not connect to Sectigo; nothing was sent.'
      })
    case 'timeout':
      return new ProblemError('upstream-timeout', {
        detail: `Sectigo did not answer in time. ${MAY_HAVE_CHANGED}`,
        outcome: 'unknown'
      })
    case 'http-status':
      return new ProblemError('upstream-bad-response', {
        detail: `Sectigo answered with HTTP status ${failure.details.statusCode ?? 'unknown'}. ${MAY_HAVE_CHANGED}`,
        outcome: 'unknown'
      })
    case 'too-large':
      return new ProblemError('upstream-bad-response', {
        detail: `Sectigo's answer was larger than 1 MiB. ${MAY_HAVE_CHANGED}`,
        outcome: 'unknown'
      })
    case 'bad-reply':
      return new ProblemError('upstream-bad-response', {
        detail: `Sectigo's answer could not be read (${failure.message}). ${MAY_HAVE_CHANGED}`,
        outcome: 'unknown'
      })
    case 'lost':
      return new ProblemError('upstream-bad-response', {
        detail: `The connection to Sectigo was lost after the request was sent. ${MAY_HAVE_CHANGED}`,
        outcome: 'unknown'
      })
  }
}

function readFailed(failure: UpstreamFailure): ProblemError {
  const again = 'A read changes nothing at Sectigo: repeat it.'
  switch (failure.kind) {
    case 'timeout':
      return new ProblemError('upstream-timeout', { detail: `Sectigo did not answer in time. ${again}` })
    case 'http-status':
      return new ProblemError('upstream-bad-response', { detail: `Sectigo answered with HTTP status ${failure.details.statusCode ?? 'unknown'}. ${again}` })
    case 'too-large':
      return new ProblemError('upstream-bad-response', { detail: `Sectigo's answer was larger than 1 MiB. ${again}` })
    case 'bad-reply':
      return new ProblemError('upstream-bad-response', { detail: `Sectigo's answer could not be read (${failure.message}). ${again}` })
    default:
      return new ProblemError('upstream-bad-response', { detail: `The connection to Sectigo was lost. ${again}` })
  }
}
