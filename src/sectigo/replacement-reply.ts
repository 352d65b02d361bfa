import type { ReplacementResult } from '../schemas/replacement.js'
import { replyValue, type SectigoReply } from './response-parser.js'

type ReplyFacts = Omit<ReplacementResult, 'orderNumber' | 'dcvInstructions'>

/** UNIX seconds → RFC 3339 UTC without fractional seconds; anything else is not a time. */
function rfc3339(unix: string | undefined): string | undefined {
  if (unix === undefined || !/^\d{1,12}$/.test(unix.trim())) return undefined
  return new Date(Number(unix.trim()) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function productTerm(start?: string, end?: string, duration?: string): ReplyFacts['productTerm'] {
  const term = {
    ...(rfc3339(start) ? { start: rfc3339(start) } : {}),
    ...(rfc3339(end) ? { end: rfc3339(end) } : {}),
    ...(duration !== undefined && /^\d{1,6}$/.test(duration.trim()) ? { durationDays: Number(duration.trim()) } : {})
  }
  return Object.keys(term).length > 0 ? term : undefined
}

/**
 * What a successful AutoReplaceMC reply says, in either format. The newline format is positional:
 * with the three `show…` flags the service always sends, its lines are the certificate state,
 * "start end", and the replacement order number. Members Sectigo did not return stay absent.
 */
export function replacementFacts(reply: SectigoReply): ReplyFacts {
  let status: string | undefined
  let replacement: string | undefined
  let term: ReplyFacts['productTerm']
  if (reply.format === 'urlencoded' || reply.format === 'json') {
    status = replyValue(reply, 'certificateStatus')
    replacement = replyValue(reply, 'replOrderNumber')
    term = productTerm(replyValue(reply, 'productTermStartDate'), replyValue(reply, 'productTermEndDate'), replyValue(reply, 'productTermDuration'))
  } else {
    const [state, period, number] = reply.lines.map((l) => l.trim())
    status = state
    replacement = number
    const [start, end] = (period ?? '').split(/\s+/)
    term = productTerm(start, end)
  }
  return {
    ...(replacement ? { replacementOrderNumber: replacement } : {}),
    ...(status ? { certificateStatus: status } : {}),
    ...(term ? { productTerm: term } : {})
  }
}
