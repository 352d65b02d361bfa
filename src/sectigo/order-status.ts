import type { OrderState, OrderStatusResult } from '../schemas/order-status.js'
import { ORDER_STATUS_FIELDS as F, ORDER_STATUS_FIXED_FIELDS, REPLY_KEYS } from './fields.js'
import type { FormFields } from './form-encoder.js'
import { numberedEntries } from './numbered-keys.js'
import { BadReplyError, replyValue, type SectigoReply } from './response-parser.js'

export function orderStatusForm(orderNumber: string): FormFields {
  const fields: Array<[string, string]> = [[F.orderNumber.name, orderNumber]]
  for (const [name, value] of ORDER_STATUS_FIXED_FIELDS) fields.push([F[name].name, value])
  return fields
}

const K = REPLY_KEYS.orderStatus

/** UNIX seconds → RFC 3339 UTC without fractional seconds; anything else is not a time. */
function rfc3339(unix: string | undefined): string | undefined {
  if (unix === undefined || !/^\d{1,12}$/.test(unix.trim())) return undefined
  return new Date(Number(unix.trim()) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Sectigo's certificate status words, to a stable enumeration (the words themselves are kept too). */
export function orderState(status: string): OrderState {
  const s = status.trim().toLowerCase()
  if (s === 'issued' || s === 'valid') return 'ISSUED'
  if (s.includes('revoked')) return 'REVOKED'
  if (s.includes('expired')) return 'EXPIRED'
  if (s.includes('hold')) return 'ON_HOLD'
  if (/reject|cancel|refund/.test(s)) return 'CANCELLED'
  if (/pending|awaiting|processing|validation|not yet/.test(s)) return 'PENDING'
  return 'UNKNOWN'
}

export function orderStatusResult(orderNumber: string, reply: SectigoReply): OrderStatusResult {
  const certificateStatus = replyValue(reply, K.certificateStatus)
  if (certificateStatus === undefined || certificateStatus.trim() === '') throw new BadReplyError(`has no ${K.certificateStatus}`)
  const validationStatus = replyValue(reply, K.validationStatus)
  const notBefore = rfc3339(replyValue(reply, K.notBefore))
  const notAfter = rfc3339(replyValue(reply, K.notAfter))
  const replacements = numberedEntries(reply)
    .map((entry) => entry[K.replacementOrderNumber])
    .filter((n): n is string => n !== undefined && /^[1-9]\d{0,18}$/.test(n))
  return {
    orderNumber,
    state: orderState(certificateStatus),
    certificateStatus,
    ...(validationStatus ? { validationStatus } : {}),
    ...(notBefore || notAfter ? { validity: { ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}) } } : {}),
    replacementOrders: replacements.map((n) => ({ orderNumber: n }))
  }
}
