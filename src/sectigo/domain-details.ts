import type { DomainDcvState, DomainDetailsResult } from '../schemas/dcv-workflow.js'
import { DCV_METHODS, DOMAIN_DETAILS_FIELDS as F, DOMAIN_DETAILS_FIXED_FIELDS, REPLY_KEYS, type DcvMethod } from './fields.js'
import type { FormFields } from './form-encoder.js'
import { numberedEntries } from './numbered-keys.js'
import { BadReplyError, type SectigoReply } from './response-parser.js'

export function domainDetailsForm(orderNumber: string): FormFields {
  const fields: Array<[string, string]> = [[F.orderNumber.name, orderNumber]]
  for (const [name, value] of DOMAIN_DETAILS_FIXED_FIELDS) fields.push([F[name].name, value])
  return fields
}

const K = REPLY_KEYS.domainDetails
const METHODS: ReadonlySet<string> = new Set(DCV_METHODS)

/**
 * Sectigo's status words, to one of three states. Only the exact word "Validated" means done:
 * public clients that test for the substring "validated" would also take "Not Validated".
 */
export function dcvState(status: string): DomainDcvState {
  const s = status.trim().toLowerCase()
  if (s === 'validated' || s === 'validation complete' || s === 'complete') return 'VALIDATED'
  if (/fail|reject|expired/.test(s)) return 'FAILED'
  return 'PENDING'
}

function method(raw: string): DcvMethod | 'OTHER' {
  const upper = raw.trim().toUpperCase()
  return METHODS.has(upper) ? (upper as DcvMethod) : 'OTHER'
}

/** One entry per numbered domain, in number order; an entry without a domain name is not one. */
export function domainDetailsResult(orderNumber: string, reply: SectigoReply): DomainDetailsResult {
  const domains = numberedEntries(reply).flatMap((entry) => {
    const domainName = entry[K.domainName]
    if (!domainName) return []
    const rawMethod = entry[K.method] ?? ''
    const rawStatus = entry[K.status] ?? ''
    return [
      {
        domainName,
        method: method(rawMethod),
        sectigoMethod: rawMethod,
        state: dcvState(rawStatus),
        sectigoStatus: rawStatus
      }
    ]
  })
  if (domains.length === 0) throw new BadReplyError('names no domain')
  return { orderNumber, allValidated: domains.every((d) => d.state === 'VALIDATED'), domains }
}
