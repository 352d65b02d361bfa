import { BadReplyError } from './response-parser.js'
import { UpstreamFailure, problemForFailure } from './upstream-failure.js'

/**
 * Reads a successful reply's facts; a reply that says success but carries nothing readable is
 * Sectigo's fault (502 upstream-bad-response), like an unparsable body.
 */
export function readReply<T>(read: () => T): T {
  try {
    return read()
  } catch (err) {
    if (err instanceof BadReplyError) throw problemForFailure(new UpstreamFailure('bad-reply', err.reason))
    throw err
  }
}
