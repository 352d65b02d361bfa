// Domain names and the e-mail addresses Sectigo accepts for their domain control validation.

/** Compared ignoring case, as DNS does. */
export const sameDomain = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

export const isWildcard = (name: string): boolean => name.startsWith('*.')

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
const HOSTNAME = new RegExp(`^(?:\\*\\.)?(?:${LABEL}\\.)+${LABEL}$`, 'i')

/** An FQDN with at least two labels, an optional leading `*.`, at most 253 characters. */
export const isDomainName = (name: string): boolean => name.length <= 253 && HOSTNAME.test(name)

const DCV_MAILBOXES = ['admin', 'administrator', 'hostmaster', 'postmaster', 'webmaster'] as const

/** What GetDCVEmailAddressList answers for a domain: always the same for the same name. */
export interface DcvEmailList {
  readonly domainName: string
  /** The simulated WHOIS registrant contact: `registrant@` the last two labels. */
  readonly whois: string
  /** Role mailboxes per domain level (labels), from the domain itself down to two labels. */
  readonly levels: ReadonlyArray<{ readonly level: number; readonly emails: readonly string[] }>
}

export function dcvEmailList(domainName: string): DcvEmailList {
  const labels = domainName.toLowerCase().replace(/^\*\./, '').split('.')
  const levels = []
  for (let i = 0; i < labels.length - 1; i++) {
    const host = labels.slice(i).join('.')
    levels.push({ level: labels.length - i, emails: DCV_MAILBOXES.map((mailbox) => `${mailbox}@${host}`) })
  }
  return { domainName, whois: `registrant@${labels.slice(-2).join('.')}`, levels }
}

/**
 * An address GetDCVEmailAddressList offers for the domain (compared ignoring case): the WHOIS
 * contact, or one of the five role mailboxes at the domain (without a leading `*.`) or at one
 * of its parent domains, never at a bare top-level domain.
 */
export function isAcceptableDcvEmail(email: string, domainName: string): boolean {
  const at = email.indexOf('@')
  if (at <= 0 || at !== email.lastIndexOf('@')) return false
  const wanted = email.toLowerCase()
  const list = dcvEmailList(domainName)
  return wanted === list.whois || list.levels.some((level) => level.emails.includes(wanted))
}
