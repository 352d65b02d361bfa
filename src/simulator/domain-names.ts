// Domain names and the e-mail addresses Sectigo accepts for their domain control validation.

/** Compared ignoring case, as DNS does. */
export const sameDomain = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

export const isWildcard = (name: string): boolean => name.startsWith('*.')

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
const HOSTNAME = new RegExp(`^(?:\\*\\.)?(?:${LABEL}\\.)+${LABEL}$`, 'i')

/** An FQDN with at least two labels, an optional leading `*.`, at most 253 characters. */
export const isDomainName = (name: string): boolean => name.length <= 253 && HOSTNAME.test(name)

const DCV_MAILBOXES = new Set(['admin', 'administrator', 'hostmaster', 'postmaster', 'webmaster'])

/**
 * The addresses GetDCVEmailAddressList offers: one of the five role mailboxes at the domain
 * (without a leading `*.`) or at one of its parent domains, never at a bare top-level domain.
 */
export function isAcceptableDcvEmail(email: string, domainName: string): boolean {
  const at = email.indexOf('@')
  if (at <= 0 || at !== email.lastIndexOf('@')) return false
  const mailbox = email.slice(0, at).toLowerCase()
  const host = email.slice(at + 1).toLowerCase()
  if (!DCV_MAILBOXES.has(mailbox)) return false
  const labels = domainName.toLowerCase().replace(/^\*\./, '').split('.')
  for (let i = 0; i < labels.length - 1; i++) {
    if (host === labels.slice(i).join('.')) return true
  }
  return false
}
