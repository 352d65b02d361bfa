// !GetDetailedOrderStatus: an order's certificate status, validation status (queryType 1 and 2),
// validity period (showValidityPeriod=Y) and replacement orders (queryType 2).

import { answer, answerError, faultOutcome, firstChecks, type Call, type EndpointRules, type Outcome } from './call.js'
import { common, dcvMessages } from './messages.js'
import { statusRead } from './order-book.js'
import { badFlag, readFormat } from './read-arguments.js'
import { success, type Result } from './replies.js'

const RULES: EndpointRules = {
  known: new Set(['loginName', 'loginPassword', 'orderNumber', 'certificateID', 'queryType', 'showValidityPeriod', 'responseFormat']),
  required: ['loginName', 'loginPassword', 'queryType'],
  unrecognised: dcvMessages.unrecognised
}

type Pairs = ReadonlyArray<readonly [string, string]>

export function getDetailedOrderStatus(call: Call): Outcome<Pairs> {
  const refused = firstChecks(call, RULES)
  if (refused) return answerError(refused)
  const orderNumber = call.args.get('orderNumber') || undefined
  // The simulator keeps no certificate IDs: an order is found by its number only.
  if (orderNumber === undefined) {
    return answerError(call.args.has('certificateID') ? common.invalid('certificateID') : common.missing('orderNumber'))
  }
  const order = /^\d+$/.test(orderNumber) ? call.book.find(orderNumber) : undefined
  if (!order) return answerError(common.invalid('orderNumber'))
  const queryType = call.args.get('queryType') ?? ''
  if (!['0', '1', '2'].includes(queryType)) return answerError(common.invalid('queryType'))
  const flag = badFlag(call.args, 'showValidityPeriod')
  if (flag) return answerError(flag)
  const format = readFormat(call.args)
  if (typeof format !== 'number') return answerError(format)

  const read = (): Result<Pairs> => {
    statusRead(order, call.now())
    const pairs: Array<[string, string]> = [['certificateStatus', order.status]]
    if (queryType !== '0') pairs.push(['validationStatus', order.domains.every((d) => d.validated) ? 'Validated' : 'Pending'])
    if (call.args.get('showValidityPeriod') === 'Y' && order.status === 'Issued' && order.productTerm) {
      pairs.push(['notBefore', String(order.productTerm.start)], ['notAfter', String(order.productTerm.end)])
    }
    if (queryType === '2') order.replacements.forEach((number, i) => pairs.push([`${i + 1}_replacementOrderNumber`, number]))
    return success(pairs)
  }
  if (order.fault) return faultOutcome(order.fault, common.unknownError(), read)
  return answer(read())
}
