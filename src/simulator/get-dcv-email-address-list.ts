// !GetDCVEmailAddressList: the addresses Sectigo accepts for a domain's DCV e-mail. The simulator's
// list is deterministic (dcvEmailList), and AutoUpdateDCV and ResendDCVEmail accept only from it.

import { answer, answerError, firstChecks, type Call, type EndpointRules, type Outcome } from './call.js'
import { dcvEmailList, isDomainName } from './domain-names.js'
import { common, dcvMessages } from './messages.js'
import { readFormat } from './read-arguments.js'
import { success } from './replies.js'
import { tooLong } from './values.js'

const RULES: EndpointRules = {
  known: new Set(['loginName', 'loginPassword', 'domainName', 'product', 'responseFormat']),
  required: ['loginName', 'loginPassword', 'domainName'],
  unrecognised: dcvMessages.unrecognised
}

/** The page's product codes: 801 VMC, 803 CMC. */
const PRODUCTS: ReadonlySet<string> = new Set(['801', '803'])

export type ListPairs = ReadonlyArray<readonly [string, string]>

export function getDcvEmailAddressList(call: Call): Outcome<ListPairs> {
  const refused = firstChecks(call, RULES)
  if (refused) return answerError(refused)
  const domainName = call.args.get('domainName') ?? ''
  if (tooLong(domainName, 255) || !isDomainName(domainName)) return answerError(common.invalid('domainName'))
  const product = call.args.get('product')
  if (product !== undefined && !PRODUCTS.has(product)) return answerError(common.invalid('product'))
  const format = readFormat(call.args)
  if (typeof format !== 'number') return answerError(format)

  const list = dcvEmailList(domainName)
  const pairs: Array<[string, string]> = [['domain_name', domainName], ['whois_email', list.whois]]
  // Level 2 first, as public clients' fixtures show; each address on its own line.
  for (const level of [...list.levels].reverse()) for (const email of level.emails) pairs.push([`level${level.level}_email`, email])
  return answer(success(pairs))
}
