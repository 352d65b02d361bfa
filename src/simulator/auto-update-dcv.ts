// !AutoUpdateDCV as its page describes it: change the DCV method (and e-mail) of one domain,
// or of several domains of a multi-domain order, of a certificate that is not issued yet.

import { answer, answerError, faultOutcome, firstChecks, recordCall, type Call, type EndpointRules, type Outcome } from './call.js'
import { isAcceptableDcvEmail, isWildcard, sameDomain } from './domain-names.js'
import { common, dcvMessages, type SectigoError } from './messages.js'
import { emailSent, type DcvMethod, type DomainState, type Order } from './order-book.js'
import { failure, success, type Result } from './replies.js'
import { isPositiveInt32, tooLong } from './values.js'
import type { FormArguments } from './form.js'

/** The page's table: argument names and maximum lengths (`newMethods`' 32 is per method). */
export const DCV_ARGUMENTS = {
  loginName: 64,
  loginPassword: 128,
  orderNumber: undefined,
  baseOrderNumber: undefined,
  domainName: 255,
  newMethod: 32,
  newDCVEmailAddress: 255,
  dcvTemplateID: undefined,
  domainNames: 255,
  newMethods: 32,
  newDCVEmailAddresses: 255
} as const satisfies Record<string, number | undefined>

const RULES: EndpointRules = {
  known: new Set(Object.keys(DCV_ARGUMENTS)),
  required: ['loginName', 'loginPassword'],
  unrecognised: dcvMessages.unrecognised
}

const METHODS: ReadonlySet<string> = new Set<DcvMethod>(['EMAIL', 'HTTP_CSR_HASH', 'HTTPS_CSR_HASH', 'CNAME_CSR_HASH'])
const isMethod = (value: string): value is DcvMethod => METHODS.has(value)
const isHttpMethod = (method: DcvMethod) => method === 'HTTP_CSR_HASH' || method === 'HTTPS_CSR_HASH'

const SINGLE_FORM = ['domainName', 'newMethod', 'newDCVEmailAddress'] as const
const MULTI_FORM = ['domainNames', 'newMethods', 'newDCVEmailAddresses'] as const

interface Change {
  readonly domain: DomainState
  readonly method: DcvMethod
  readonly email: string | null
}

interface Plan {
  readonly changes: readonly Change[]
  /** The argument that named the domains, for errorItem on -47. */
  readonly namedBy?: 'domainName' | 'domainNames'
}

export function autoUpdateDcv(call: Call): Outcome<void> {
  const refused = firstChecks(call, RULES)
  if (refused) return answerError(refused)

  const found = lookUp(call)
  if (!found.ok) return answerError(found.error)
  const { order, argument, given } = found.value
  if (order.fault) return faultOutcome(order.fault, dcvMessages.failed(), () => success(undefined))
  // The page: "If the order number provided has already been issued … argument is invalid!"
  if (order.status === 'Issued' || order.status === 'Expired') return answerError(common.invalid(argument))

  const plan = planChanges(call.args, order)
  if (!plan.ok) return answerError(plan.error)

  if (order.status !== 'Pending Validation') return answerError(dcvMessages.unexpectedState())
  if (order.denial === 'voucher') return answerError(dcvMessages.voucher(given))
  if (plan.value.changes.some((change) => change.domain.validated)) {
    return answerError(dcvMessages.alreadyValidated(plan.value.namedBy))
  }

  for (const { domain, method, email } of plan.value.changes) {
    domain.method = method
    domain.email = method === 'EMAIL' ? email : null
  }
  if (plan.value.changes.some((change) => change.method === 'EMAIL')) emailSent(order)
  recordCall(order, '!AutoUpdateDCV', call)
  return answer(success(undefined))
}

export interface Found {
  readonly order: Order
  readonly argument: 'orderNumber' | 'baseOrderNumber'
  readonly given: string
}

/** Exactly one of orderNumber and baseOrderNumber; sending both is refused on the second. */
export function lookUp(call: Call): Result<Found> {
  const orderNumber = call.args.get('orderNumber') || undefined
  const baseOrderNumber = call.args.get('baseOrderNumber') || undefined
  if (orderNumber !== undefined && baseOrderNumber !== undefined) return failure(common.invalid('baseOrderNumber'))
  if (orderNumber !== undefined) {
    const order = /^\d+$/.test(orderNumber) ? call.book.find(orderNumber) : undefined
    return order ? success({ order, argument: 'orderNumber', given: orderNumber }) : failure(common.invalid('orderNumber'))
  }
  if (baseOrderNumber !== undefined) {
    const order = /^\d+$/.test(baseOrderNumber) ? call.book.findByBaseOrderNumber(baseOrderNumber) : undefined
    return order
      ? success({ order, argument: 'baseOrderNumber', given: baseOrderNumber })
      : failure(common.invalid('baseOrderNumber'))
  }
  return failure(common.missing('orderNumber'))
}

/** Conditional arguments (-3), then values in the table's order (-4), then wildcards (-126). */
function planChanges(args: FormArguments, order: Order): Result<Plan> {
  const multiForm = MULTI_FORM.some((name) => args.has(name))
  const missing = multiForm ? missingInMultiForm(args) : missingInSingleForm(args, order)
  if (missing) return failure(missing)
  return multiForm ? planMultiForm(args, order) : planSingleForm(args, order)
}

const sent = (args: FormArguments, name: string) => Boolean(args.get(name))

function missingInSingleForm(args: FormArguments, order: Order): SectigoError | undefined {
  if (!sent(args, 'newMethod')) return common.missing('newMethod')
  // The page: domainName "is not required for single domain orders".
  if (order.multiDomain && !sent(args, 'domainName')) return common.missing('domainName')
  if (args.get('newMethod') === 'EMAIL' && !sent(args, 'newDCVEmailAddress')) return common.missing('newDCVEmailAddress')
  return undefined
}

function missingInMultiForm(args: FormArguments): SectigoError | undefined {
  if (!sent(args, 'domainNames')) return common.missing('domainNames')
  if (!sent(args, 'newMethods')) return common.missing('newMethods')
  const methods = splitList(args.get('newMethods') ?? '')
  if (methods.includes('EMAIL') && !sent(args, 'newDCVEmailAddresses')) return common.missing('newDCVEmailAddresses')
  return undefined
}

const splitList = (value: string): string[] => value.split(/\s+/).filter((item) => item !== '')

const findDomain = (order: Order, name: string) => order.domains.find((domain) => sameDomain(domain.name, name))

/** An argument sent with a value the table refuses outright: empty, or longer than its maximum. */
function badLength(args: FormArguments, name: keyof typeof DCV_ARGUMENTS): boolean {
  const value = args.get(name)
  return value !== undefined && (value === '' || tooLong(value, DCV_ARGUMENTS[name]))
}

function checkTemplate(args: FormArguments): SectigoError | undefined {
  const template = args.get('dcvTemplateID')
  // Not relevant for VMC/CMC products, the page says: accepted and ignored there.
  if (template !== undefined && !isPositiveInt32(template)) return common.invalid('dcvTemplateID')
  return undefined
}

function planSingleForm(args: FormArguments, order: Order): Result<Plan> {
  const domainName = args.get('domainName')
  let domain: DomainState | undefined = order.domains[0]
  if (domainName !== undefined) {
    domain = badLength(args, 'domainName') ? undefined : findDomain(order, domainName)
    if (!domain) return failure(common.invalid('domainName'))
  }
  if (!domain) return failure(common.invalid('orderNumber'))

  const method = args.get('newMethod') ?? ''
  if (badLength(args, 'newMethod') || !isMethod(method)) return failure(common.invalid('newMethod'))

  const email = args.get('newDCVEmailAddress')
  if (email !== undefined) {
    // Only an EMAIL method takes an address; sending one with another method is refused.
    const acceptable = method === 'EMAIL' && !badLength(args, 'newDCVEmailAddress') && isAcceptableDcvEmail(email, domain.name)
    if (!acceptable) return failure(common.invalid('newDCVEmailAddress'))
  }

  const template = checkTemplate(args)
  if (template) return failure(template)

  if (isWildcard(domain.name) && isHttpMethod(method)) return failure(dcvMessages.wildcard('newMethod'))
  return success({
    changes: [{ domain, method, email: email ?? null }],
    ...(domainName === undefined ? {} : { namedBy: 'domainName' as const })
  })
}

function planMultiForm(args: FormArguments, order: Order): Result<Plan> {
  // The two forms do not mix: a single-form argument beside the lists is refused.
  const mixed = SINGLE_FORM.find((name) => args.has(name))
  if (mixed) return failure(common.invalid(mixed))

  const template = checkTemplate(args)
  if (template) return failure(template)

  const names = splitList(args.get('domainNames') ?? '')
  const domains = names.map((name) => findDomain(order, name))
  const unique = new Set(names.map((name) => name.toLowerCase())).size === names.length
  if (badLength(args, 'domainNames') || !unique || domains.some((domain) => !domain)) {
    return failure(common.invalid('domainNames'))
  }

  const methods = splitList(args.get('newMethods') ?? '')
  const validMethods = methods.every((method) => !tooLong(method, DCV_ARGUMENTS.newMethods) && isMethod(method))
  if (!validMethods || methods.length !== names.length) return failure(common.invalid('newMethods'))

  // One address per EMAIL method, in the order of those domains.
  const emailDomains = domains.filter((_, i) => methods[i] === 'EMAIL')
  const emails = args.has('newDCVEmailAddresses') ? splitList(args.get('newDCVEmailAddresses') ?? '') : []
  const emailsValid =
    !badLength(args, 'newDCVEmailAddresses') &&
    emails.length === emailDomains.length &&
    emails.every((email, i) => isAcceptableDcvEmail(email, emailDomains[i]?.name ?? ''))
  if (!emailsValid) return failure(common.invalid('newDCVEmailAddresses'))

  const changes: Change[] = []
  let nextEmail = 0
  for (const [i, domain] of domains.entries()) {
    const method = methods[i]
    if (!domain || method === undefined || !isMethod(method)) return failure(common.invalid('domainNames'))
    if (isWildcard(domain.name) && isHttpMethod(method)) return failure(dcvMessages.wildcard('newMethods'))
    changes.push({ domain, method, email: method === 'EMAIL' ? (emails[nextEmail++] ?? null) : null })
  }
  return success({ changes, namedBy: 'domainNames' })
}
