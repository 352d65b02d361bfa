// !GetMDCDomainDetails: each domain of an order with its DCV method and status, as numbered keys.

import { answer, answerError, faultOutcome, firstChecks, type Call, type EndpointRules, type Outcome } from './call.js'
import { common, dcvMessages } from './messages.js'
import { statusRead } from './order-book.js'
import { badFlag, readFormat } from './read-arguments.js'
import { success, type Result } from './replies.js'

const RULES: EndpointRules = {
  known: new Set(['loginName', 'loginPassword', 'orderNumber', 'showStatusDetails', 'responseFormat']),
  required: ['loginName', 'loginPassword', 'orderNumber'],
  unrecognised: dcvMessages.unrecognised
}

type Pairs = ReadonlyArray<readonly [string, string]>

export function getMdcDomainDetails(call: Call): Outcome<Pairs> {
  const refused = firstChecks(call, RULES)
  if (refused) return answerError(refused)
  const orderNumber = call.args.get('orderNumber') ?? ''
  const order = /^\d+$/.test(orderNumber) ? call.book.find(orderNumber) : undefined
  if (!order) return answerError(common.invalid('orderNumber'))
  const flag = badFlag(call.args, 'showStatusDetails')
  if (flag) return answerError(flag)
  const format = readFormat(call.args)
  if (typeof format !== 'number') return answerError(format)

  const read = (): Result<Pairs> => {
    statusRead(order, call.now())
    const pairs: Array<[string, string]> = []
    order.domains.forEach((domain, i) => {
      pairs.push([`${i + 1}_domainName`, domain.name])
      pairs.push([`${i + 1}_dcvMethod`, domain.method ?? ''])
      pairs.push([`${i + 1}_dcvStatus`, domain.validated ? 'Validated' : 'Awaiting Validation'])
    })
    return success(pairs)
  }
  if (order.fault) return faultOutcome(order.fault, common.unknownError(), read)
  return answer(read())
}
