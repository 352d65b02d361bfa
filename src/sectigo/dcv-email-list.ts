import type { DcvEmailAddress, DcvEmailListResult } from '../schemas/dcv-workflow.js'
import { DCV_EMAIL_LIST_FIELDS as F, DCV_EMAIL_LIST_FIXED_FIELDS, MARK_PRODUCT_CODES, REPLY_KEYS, type MarkProduct } from './fields.js'
import type { FormFields } from './form-encoder.js'
import type { SectigoReply } from './response-parser.js'
import { BadReplyError } from './response-parser.js'

/** How long Sectigo accepts an address it listed (upstream-notes.md): 24 hours. */
export const DCV_EMAIL_ACCEPTED_FOR_MS = 24 * 60 * 60 * 1000

/** The exact GetDCVEmailAddressList fields (credentials are added by the client). */
export function dcvEmailListForm(domainName: string, product: MarkProduct | undefined): FormFields {
  const fields: Array<[string, string]> = [[F.domainName.name, domainName]]
  if (product !== undefined) fields.push([F.product.name, MARK_PRODUCT_CODES[product]])
  for (const [name, value] of DCV_EMAIL_LIST_FIXED_FIELDS) fields.push([F[name].name, value])
  return fields
}

const K = REPLY_KEYS.emailList

/**
 * The text reply's `key<TAB>value` lines after the status line. The WHOIS address comes first,
 * then the role mailboxes from the longest domain to the shortest; `none` (no WHOIS contact),
 * blank lines and repeats are left out. A JSON reply carries the same keys as members.
 */
export function dcvEmailListResult(domainName: string, reply: SectigoReply, now: Date): DcvEmailListResult {
  const pairs: Array<[string, string]> = []
  if (reply.format === 'json' || reply.format === 'urlencoded') {
    for (const [key, values] of reply.values) for (const value of values) pairs.push([key, value])
  } else {
    for (const line of reply.lines) {
      const tab = line.indexOf('\t')
      if (tab <= 0) continue
      pairs.push([line.slice(0, tab).trim(), line.slice(tab + 1).trim()])
    }
  }
  let answeredFor: string | undefined
  const whois: DcvEmailAddress[] = []
  const byLevel: Array<{ level: number; address: DcvEmailAddress }> = []
  for (const [key, value] of pairs) {
    if (key === K.domainName) {
      answeredFor ??= value
      continue
    }
    if (value === '' || value.toLowerCase() === 'none' || !value.includes('@')) continue
    if (key === K.whois) {
      whois.push({ email: value, source: 'WHOIS' })
      continue
    }
    const level = K.level.exec(key)?.[1]
    if (level !== undefined) byLevel.push({ level: Number(level), address: { email: value, source: 'ROLE_MAILBOX', domainLevel: Number(level) } })
  }
  if (whois.length === 0 && byLevel.length === 0) throw new BadReplyError('lists no e-mail address')
  byLevel.sort((a, b) => b.level - a.level)
  const seen = new Set<string>()
  const addresses = [...whois, ...byLevel.map((l) => l.address)].filter((a) => {
    const key = a.email.toLowerCase()
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  return {
    domainName: answeredFor ?? domainName,
    emailAddresses: addresses,
    acceptedUntil: new Date(now.getTime() + DCV_EMAIL_ACCEPTED_FOR_MS).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }
}
