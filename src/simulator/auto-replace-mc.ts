// !AutoReplaceMC as its page describes it: replace a mark certificate (VMC or CMC) by a new
// order, with new domains, DCV methods, CSR, logo, trademark or organization details.

import { answer, answerError, faultOutcome, firstChecks, recordCall, type Call, type EndpointRules, type Outcome } from './call.js'
import { decodeCsr } from './csr.js'
import { isAcceptableDcvEmail, isDomainName, sameDomain } from './domain-names.js'
import type { FormArguments } from './form.js'
import { common, replaceMessages, type SectigoError } from './messages.js'
import type { DcvMethod, DomainState, Order, ProductKind } from './order-book.js'
import { failure, success, type ReplacementShown, type ResponseFormat, type Result } from './replies.js'
import { isBase64, isCalendarDate, isCountry, isDunsNumber, isFlag, tooLong } from './values.js'

type ValueRule = 'flag' | 'country' | 'date' | 'duns' | 'base64' | 'domain-list'

interface Parameter {
  readonly max?: number
  readonly rule?: ValueRule
  /** The page's "(VMC only)" and "(CMC only)". */
  readonly only?: Exclude<ProductKind, 'SSL'>
}

/** The page's table in its order, with the names in lower camelCase (upstream-notes.md). */
export const REPLACE_PARAMETERS: Readonly<Record<string, Parameter>> = {
  loginName: { max: 64 },
  loginPassword: { max: 128 },
  orderNumber: {},
  domainNames: { max: 32767, rule: 'domain-list' },
  csr: { max: 32767 },
  markLogo: { max: 32767, rule: 'base64' },
  trademarkCountryName: { max: 2, rule: 'country', only: 'VMC' },
  trademarkOffice: { max: 255, only: 'VMC' },
  trademarkIdentifier: { max: 255, only: 'VMC' },
  logoPriorUseDomainName: { max: 255, only: 'CMC' },
  organizationName: { max: 64 },
  organizationalUnitName: { max: 64 },
  postOfficeBox: { max: 40 },
  streetAddress1: { max: 128 },
  streetAddress2: { max: 128 },
  streetAddress3: { max: 128 },
  localityName: { max: 128 },
  stateOrProvinceName: { max: 128 },
  postalCode: { max: 128 },
  countryName: { max: 2, rule: 'country' },
  dunsNumber: { max: 20, rule: 'duns' },
  companyNumber: { max: 64 },
  joiLocalityName: { max: 128 },
  joiStateOrProvinceName: { max: 128 },
  joiCountryName: { max: 2, rule: 'country' },
  assumedName: { max: 64 },
  dateOfIncorporation: { max: 10, rule: 'date' },
  dcvEmailAddresses: { max: 32767 },
  validationTokens: { max: 32767 },
  foreignOrderNumber: { max: 64 },
  checkFONIsUnique: { max: 1, rule: 'flag' },
  responseFormat: { max: 1 },
  appRepForename: { max: 64 },
  appRepSurname: { max: 64 },
  appRepEmailAddress: { max: 255 },
  appRepTelephone: { max: 32 },
  appRepTitle: { max: 64 },
  appRepFax: { max: 32 },
  appRepOrganizationName: { max: 255 },
  appRepOrganizationalUnitName: { max: 64 },
  appRepStreetAddress1: { max: 128 },
  appRepStreetAddress2: { max: 128 },
  appRepStreetAddress3: { max: 128 },
  appRepPostOfficeBox: { max: 128 },
  appRepLocalityName: { max: 128 },
  appRepStateOrProvinceName: { max: 128 },
  appRepPostalCode: { max: 40 },
  appRepCountryName: { max: 2, rule: 'country' },
  showCertificateState: { max: 1, rule: 'flag' },
  ignoreLateOrgDetailsChanges: { max: 1, rule: 'flag' },
  updateOrgDetails: { max: 1, rule: 'flag' },
  showValidityPeriod: { max: 1, rule: 'flag' },
  showReplOrderNumber: { max: 1, rule: 'flag' },
  logoHostedByCA: { max: 1, rule: 'flag' }
}

const RULES: EndpointRules = {
  known: new Set(Object.keys(REPLACE_PARAMETERS)),
  required: ['loginName', 'loginPassword', 'orderNumber'],
  unrecognised: replaceMessages.unrecognised
}

/** Checked before the table walk, and apart from it. */
const SETTLED_EARLIER: ReadonlySet<string> = new Set(['loginName', 'loginPassword', 'orderNumber', 'responseFormat'])

/** Tokens in dcvEmailAddresses, and the methods they stand for. */
const DCV_TOKENS: Readonly<Record<string, DcvMethod>> = {
  HTTPCSRHASH: 'HTTP_CSR_HASH',
  HTTPSCSRHASH: 'HTTPS_CSR_HASH',
  CNAMECSRHASH: 'CNAME_CSR_HASH'
}
const ALL_TOKENS: Readonly<Record<string, DcvMethod>> = {
  ALLHTTPCSRHASH: 'HTTP_CSR_HASH',
  ALLHTTPSCSRHASH: 'HTTPS_CSR_HASH',
  ALLCNAMECSRHASH: 'CNAME_CSR_HASH'
}
const tokenMethod = (table: Readonly<Record<string, DcvMethod>>, value: string): DcvMethod | undefined =>
  Object.hasOwn(table, value) ? table[value] : undefined

/**
 * How to answer: `responseFormat=1` is URL-encoded; anything else is the newline default (an
 * invalid value is then refused with -4, in the newline format).
 */
export const replyFormat = (args: FormArguments): ResponseFormat => (args.get('responseFormat') === '1' ? 1 : 0)

export function autoReplaceMc(call: Call): Outcome<ReplacementShown> {
  const refused = firstChecks(call, RULES)
  if (refused) return answerError(refused)

  const orderNumber = call.args.get('orderNumber') ?? ''
  const order = /^\d+$/.test(orderNumber) ? call.book.find(orderNumber) : undefined
  if (!order) return answerError(common.invalid('orderNumber'))
  if (order.fault) {
    return faultOutcome(order.fault, replaceMessages.failed(order.orderNumber), () =>
      replace(call, order, order.domains.map(copyDomain))
    )
  }
  // Only mark certificates can be replaced here; Sectigo does not tell which rule failed.
  if (order.kind === 'SSL' || order.status === 'On Hold') return answerError(common.invalid('orderNumber'))

  const checked = checkArguments(call, order)
  if (!checked.ok) return answerError(checked.error)

  const refusal = stateRefusal(order)
  if (refusal) return answerError(refusal)
  return answer(replace(call, order, checked.value))
}

/** Values (-4, -7, -161), then the lists, then the CSR (-110, -162, -163); the new domains. */
function checkArguments(call: Call, order: Order): Result<DomainState[]> {
  const { args } = call
  const format = args.get('responseFormat')
  if (format !== undefined && format !== '0' && format !== '1') return failure(common.invalid('responseFormat'))

  for (const [name, parameter] of Object.entries(REPLACE_PARAMETERS)) {
    const value = args.get(name)
    if (value === undefined || SETTLED_EARLIER.has(name)) continue
    const error = checkValue(args, order, name, value, parameter)
    if (error) return failure(error)
  }

  const domainNames = args.has('domainNames') ? splitList(args.get('domainNames') ?? '') : undefined
  const names = domainNames ?? order.domains.map((domain) => domain.name)

  const methods = dcvMethods(args, names)
  if (!methods.ok) return failure(methods.error)

  const priorUse = args.get('logoPriorUseDomainName')
  if (priorUse !== undefined && !names.some((name) => sameDomain(name, priorUse))) {
    return failure(common.invalid('logoPriorUseDomainName'))
  }

  const foreignOrderNumber = args.get('foreignOrderNumber')
  if (args.get('checkFONIsUnique') === 'Y' && foreignOrderNumber && call.book.hasForeignOrderNumber(foreignOrderNumber)) {
    return failure(common.invalid('foreignOrderNumber'))
  }

  const csr = args.get('csr')
  if (csr !== undefined) {
    const decoded = decodeCsr(csr)
    if (!decoded) return failure(replaceMessages.csrDecoding())
    const allowed = domainNames ?? order.domains.map((domain) => domain.name)
    const outside = decoded.domainNames.some((name) => !allowed.some((domain) => sameDomain(domain, name)))
    if (outside) return failure(domainNames ? replaceMessages.csrNotInDomainNames() : replaceMessages.csrNotInCertificate())
  }

  return success(
    names.map((name, i) => {
      const method = methods.value?.[i]
      if (method) return { name, method: method.method, email: method.email, validated: false }
      // No new method: the domain keeps what the order had for it.
      const previous = order.domains.find((domain) => sameDomain(domain.name, name))
      return previous ? { ...copyDomain(previous), name } : { name, method: null, email: null, validated: false }
    })
  )
}

function checkValue(args: FormArguments, order: Order, name: string, value: string, parameter: Parameter): SectigoError | undefined {
  if (parameter.only && order.kind !== parameter.only) return replaceMessages.notApplicable(name)
  if (value === '' || tooLong(value, parameter.max)) return common.invalid(name)
  switch (parameter.rule) {
    case 'flag':
      return isFlag(value) ? undefined : common.invalid(name)
    case 'country':
      // The page: without appRepOrganizationName the appRep address fields are ignored.
      if (name === 'appRepCountryName' && !args.has('appRepOrganizationName')) return undefined
      return isCountry(value) ? undefined : replaceMessages.country(name, value)
    case 'date':
      return isCalendarDate(value) ? undefined : common.invalid(name)
    case 'duns':
      return isDunsNumber(value) ? undefined : common.invalid(name)
    case 'base64':
      return isBase64(value) ? undefined : common.invalid(name)
    case 'domain-list': {
      const names = splitList(value)
      const unique = new Set(names.map((n) => n.toLowerCase())).size === names.length
      return names.length > 0 && unique && names.every(isDomainName) ? undefined : common.invalid(name)
    }
    case undefined:
      return undefined
  }
}

/** Commas and/or whitespace separate the items of domainNames and dcvEmailAddresses. */
const splitList = (value: string): string[] => value.split(/[\s,]+/).filter((item) => item !== '')

interface NewMethod {
  readonly method: DcvMethod
  readonly email: string | null
}

/**
 * dcvEmailAddresses (or its alias validationTokens): one entry per domain, in order, each an
 * acceptable e-mail address or a CSR-hash token; or one ALL… token for every domain. Undefined
 * when neither was sent: the domains keep their methods.
 */
function dcvMethods(args: FormArguments, names: readonly string[]): Result<NewMethod[] | undefined> {
  if (args.has('dcvEmailAddresses') && args.has('validationTokens')) return failure(common.invalid('validationTokens'))
  const argument = args.has('validationTokens') ? 'validationTokens' : 'dcvEmailAddresses'
  const value = args.get(argument)
  if (value === undefined) return success(undefined)

  const entries = splitList(value)
  const all = entries.length === 1 ? tokenMethod(ALL_TOKENS, entries[0] ?? '') : undefined
  if (all) return success(names.map(() => ({ method: all, email: null })))
  if (entries.length !== names.length) return failure(common.invalid(argument))

  const methods: NewMethod[] = []
  for (const [i, entry] of entries.entries()) {
    const token = tokenMethod(DCV_TOKENS, entry)
    if (token) methods.push({ method: token, email: null })
    else if (isAcceptableDcvEmail(entry, names[i] ?? '')) methods.push({ method: 'EMAIL', email: entry })
    // An ALL… token among others lands here too: it must be the only value.
    else return failure(common.invalid(argument))
  }
  return success(methods)
}

function stateRefusal(order: Order): SectigoError | undefined {
  if (order.status === 'Expired') return replaceMessages.expired()
  switch (order.denial) {
    case 'voucher':
      return replaceMessages.voucher(order.orderNumber)
    case 'permission':
      return replaceMessages.permission(order.orderNumber)
    case 'no-price':
      return replaceMessages.noPrice(order.orderNumber)
    case undefined:
      return undefined
  }
}

const copyDomain = (domain: DomainState): DomainState => ({ ...domain, validated: false })

/** Books the replacement order and returns what the show flags ask for. */
function replace(call: Call, order: Order, domains: DomainState[]): Result<ReplacementShown> {
  const foreignOrderNumber = call.args.get('foreignOrderNumber') || undefined
  const replacement = call.book.createReplacement(order, {
    domains,
    now: call.now(),
    ...(foreignOrderNumber === undefined ? {} : { foreignOrderNumber })
  })
  recordCall(order, '!AutoReplaceMC', call)
  const shows = (flag: string) => call.args.get(flag) === 'Y'
  return success({
    ...(shows('showCertificateState') ? { certificateStatus: replacement.status } : {}),
    ...(shows('showValidityPeriod') && replacement.productTerm ? { productTerm: { ...replacement.productTerm } } : {}),
    ...(shows('showReplOrderNumber') ? { replOrderNumber: replacement.orderNumber } : {})
  })
}
