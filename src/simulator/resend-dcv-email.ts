// !ResendDCVEmail: send the DCV e-mail of an order again, to the last address or to a new one
// that GetDCVEmailAddressList offers for one of the order's domains.

import { lookUp } from './auto-update-dcv.js'
import { answer, answerError, faultOutcome, firstChecks, recordCall, type Call, type EndpointRules, type Outcome } from './call.js'
import { isAcceptableDcvEmail } from './domain-names.js'
import { common, dcvMessages } from './messages.js'
import { emailSent } from './order-book.js'
import { success } from './replies.js'
import { isPositiveInt32, tooLong } from './values.js'

const RULES: EndpointRules = {
  known: new Set(['loginName', 'loginPassword', 'orderNumber', 'baseOrderNumber', 'dcvEmailAddress', 'dcvTemplateID']),
  required: ['loginName', 'loginPassword'],
  unrecognised: dcvMessages.unrecognised
}

export function resendDcvEmail(call: Call): Outcome<ReadonlyArray<readonly [string, string]>> {
  const refused = firstChecks(call, RULES)
  if (refused) return answerError(refused)
  const found = lookUp(call)
  if (!found.ok) return answerError(found.error)
  const { order, argument } = found.value
  if (order.fault) return faultOutcome(order.fault, common.unknownError(), () => success([]))
  // Nothing to validate any more: the order is issued, expired or held.
  if (order.status !== 'Pending Validation') return answerError(common.invalid(argument))

  const template = call.args.get('dcvTemplateID')
  if (template !== undefined && !isPositiveInt32(template)) return answerError(common.invalid('dcvTemplateID'))

  const pending = order.domains.filter((domain) => !domain.validated)
  const email = call.args.get('dcvEmailAddress')
  if (email !== undefined) {
    // The address must be one GetDCVEmailAddressList offers for a domain still to validate.
    const targets = tooLong(email, 255) ? [] : pending.filter((domain) => isAcceptableDcvEmail(email, domain.name))
    if (targets.length === 0) return answerError(common.invalid('dcvEmailAddress'))
    for (const domain of targets) {
      domain.method = 'EMAIL'
      domain.email = email
    }
  } else if (!pending.some((domain) => domain.method === 'EMAIL' && domain.email)) {
    // "Can be omitted if the DCV email has been sent previously": here it never was.
    return answerError(common.missing('dcvEmailAddress'))
  }
  emailSent(order)
  recordCall(order, '!ResendDCVEmail', call)
  return answer(success([]))
}
