// The one table of Sectigo's upstream field names, their lengths, separators and fixed values.
// Names follow upstream-notes.md (lower camelCase everywhere, whatever capitals the pages use),
// so a correction from Sectigo is a one-line change here.

export type Endpoint =
  | '!AutoUpdateDCV'
  | '!AutoReplaceMC'
  | '!GetDCVEmailAddressList'
  | '!ResendDCVEmail'
  | '!GetMDCDomainDetails'
  | '!GetDetailedOrderStatus'

/**
 * When a call may be sent again. `never`: a write that may cost money (AutoReplaceMC) goes out once.
 * `not-sent`: a write repeated only when no byte of it was written. `transport`: a read, which
 * changes nothing at Sectigo, repeated on any transport failure (connect, reset, timeout).
 */
export type RetryPolicy = 'never' | 'not-sent' | 'transport'

export const RETRY_POLICY: Record<Endpoint, RetryPolicy> = {
  '!AutoUpdateDCV': 'not-sent',
  '!AutoReplaceMC': 'never',
  '!GetDCVEmailAddressList': 'transport',
  // Another e-mail to a person's mailbox is harmless but not nothing: sent again only if never written.
  '!ResendDCVEmail': 'not-sent',
  '!GetMDCDomainDetails': 'transport',
  '!GetDetailedOrderStatus': 'transport'
}

/** Who controls a field: the service itself, a path parameter, or a member of the JSON body. */
export type FieldOwner =
  | { kind: 'service' }
  | { kind: 'parameter'; name: string }
  | { kind: 'member'; pointer: string }

/** How the field's value is made from its member. */
export type FieldKind = 'text' | 'flag' | 'list' | 'fixed'

export interface FieldSpec {
  readonly name: string
  readonly owner: FieldOwner
  readonly kind: FieldKind
  /** The page's maximum length of the field's whole value. */
  readonly maxLength?: number
  /** Separator for joined lists. */
  readonly separator?: string
}

const service: FieldOwner = { kind: 'service' }
const parameter = (name: string): FieldOwner => ({ kind: 'parameter', name })
const member = (pointer: string): FieldOwner => ({ kind: 'member', pointer: `#${pointer}` })

function field(name: string, owner: FieldOwner, kind: FieldKind, maxLength?: number, separator?: string): FieldSpec {
  return { name, owner, kind, ...(maxLength === undefined ? {} : { maxLength }), ...(separator ? { separator } : {}) }
}

/** The account's credentials, the first two fields of every endpoint's form. */
const CREDENTIALS = {
  loginName: field('loginName', service, 'fixed', 64),
  loginPassword: field('loginPassword', service, 'fixed', 128)
} as const

/** AutoUpdateDCV: space-separated lists, as its page says (another page says commas for newMethods). */
export const DCV_FIELDS = {
  ...CREDENTIALS,
  orderNumber: field('orderNumber', parameter('orderNumber'), 'text'),
  baseOrderNumber: field('baseOrderNumber', parameter('baseOrderNumber'), 'text'),
  domainName: field('domainName', member('/domainName'), 'text', 255),
  newMethod: field('newMethod', member('/method'), 'text', 32),
  newDCVEmailAddress: field('newDCVEmailAddress', member('/email'), 'text', 255),
  dcvTemplateID: field('dcvTemplateID', member('/dcvTemplateId'), 'text'),
  domainNames: field('domainNames', member('/domains'), 'list', 255, ' '),
  // The page's 32 characters are per method (two methods already exceed it): not a joined limit.
  newMethods: field('newMethods', member('/domains'), 'list', undefined, ' '),
  newDCVEmailAddresses: field('newDCVEmailAddresses', member('/domains'), 'list', 255, ' ')
} as const satisfies Record<string, FieldSpec>

const org = (name: string) => member(`/organization/${name}`)
const joi = (name: string) => member(`/jurisdiction/${name}`)
const appRep = (name: string) => member(`/applicantRepresentative/${name}`)
const appRepOrg = (name: string) => member(`/applicantRepresentative/organization/${name}`)

/**
 * AutoReplaceMC, in the order the fields are sent. `text` and `flag` fields map one body member
 * each (found by their pointer); `list` fields are built by the replacement mapping.
 */
export const REPLACEMENT_FIELDS = {
  ...CREDENTIALS,
  orderNumber: field('orderNumber', parameter('orderNumber'), 'text'),
  domainNames: field('domainNames', member('/domains'), 'list', 32767, ','),
  dcvEmailAddresses: field('dcvEmailAddresses', member('/domains'), 'list', 32767, ','),
  csr: field('csr', member('/csr'), 'text', 32767),
  markLogo: field('markLogo', member('/markLogo'), 'text', 32767),
  trademarkCountryName: field('trademarkCountryName', member('/trademark/countryName'), 'text', 2),
  trademarkOffice: field('trademarkOffice', member('/trademark/office'), 'text', 255),
  trademarkIdentifier: field('trademarkIdentifier', member('/trademark/identifier'), 'text', 255),
  logoPriorUseDomainName: field('logoPriorUseDomainName', member('/logoPriorUseDomainName'), 'text', 255),
  organizationName: field('organizationName', org('name'), 'text', 64),
  organizationalUnitName: field('organizationalUnitName', org('unitName'), 'text', 64),
  postOfficeBox: field('postOfficeBox', org('postOfficeBox'), 'text', 40),
  streetAddress1: field('streetAddress1', org('streetAddress1'), 'text', 128),
  streetAddress2: field('streetAddress2', org('streetAddress2'), 'text', 128),
  streetAddress3: field('streetAddress3', org('streetAddress3'), 'text', 128),
  localityName: field('localityName', org('locality'), 'text', 128),
  stateOrProvinceName: field('stateOrProvinceName', org('stateOrProvince'), 'text', 128),
  postalCode: field('postalCode', org('postalCode'), 'text', 128),
  countryName: field('countryName', org('country'), 'text', 2),
  dunsNumber: field('dunsNumber', org('dunsNumber'), 'text', 20),
  companyNumber: field('companyNumber', org('companyNumber'), 'text', 64),
  assumedName: field('assumedName', org('assumedName'), 'text', 64),
  dateOfIncorporation: field('dateOfIncorporation', org('dateOfIncorporation'), 'text', 10),
  joiLocalityName: field('joiLocalityName', joi('locality'), 'text', 128),
  joiStateOrProvinceName: field('joiStateOrProvinceName', joi('stateOrProvince'), 'text', 128),
  joiCountryName: field('joiCountryName', joi('country'), 'text', 2),
  foreignOrderNumber: field('foreignOrderNumber', member('/foreignOrderNumber'), 'text', 64),
  checkFONIsUnique: field('checkFONIsUnique', member('/requireUniqueForeignOrderNumber'), 'flag', 1),
  appRepForename: field('appRepForename', appRep('forename'), 'text', 64),
  appRepSurname: field('appRepSurname', appRep('surname'), 'text', 64),
  appRepEmailAddress: field('appRepEmailAddress', appRep('email'), 'text', 255),
  appRepTelephone: field('appRepTelephone', appRep('telephone'), 'text', 32),
  appRepTitle: field('appRepTitle', appRep('title'), 'text', 64),
  appRepFax: field('appRepFax', appRep('fax'), 'text', 32),
  appRepOrganizationName: field('appRepOrganizationName', appRepOrg('name'), 'text', 255),
  appRepOrganizationalUnitName: field('appRepOrganizationalUnitName', appRepOrg('unitName'), 'text', 64),
  appRepStreetAddress1: field('appRepStreetAddress1', appRepOrg('streetAddress1'), 'text', 128),
  appRepStreetAddress2: field('appRepStreetAddress2', appRepOrg('streetAddress2'), 'text', 128),
  appRepStreetAddress3: field('appRepStreetAddress3', appRepOrg('streetAddress3'), 'text', 128),
  appRepPostOfficeBox: field('appRepPostOfficeBox', appRepOrg('postOfficeBox'), 'text', 128),
  appRepLocalityName: field('appRepLocalityName', appRepOrg('locality'), 'text', 128),
  appRepStateOrProvinceName: field('appRepStateOrProvinceName', appRepOrg('stateOrProvince'), 'text', 128),
  appRepPostalCode: field('appRepPostalCode', appRepOrg('postalCode'), 'text', 40),
  appRepCountryName: field('appRepCountryName', appRepOrg('country'), 'text', 2),
  ignoreLateOrgDetailsChanges: field('ignoreLateOrgDetailsChanges', member('/ignoreLateOrgDetailsChanges'), 'flag', 1),
  updateOrgDetails: field('updateOrgDetails', member('/updateOrgDetails'), 'flag', 1),
  logoHostedByCA: field('logoHostedByCA', member('/logoHostedByCA'), 'flag', 1),
  responseFormat: field('responseFormat', service, 'fixed', 1),
  showCertificateState: field('showCertificateState', service, 'fixed', 1),
  showValidityPeriod: field('showValidityPeriod', service, 'fixed', 1),
  showReplOrderNumber: field('showReplOrderNumber', service, 'fixed', 1)
} as const satisfies Record<string, FieldSpec>

/** GetDCVEmailAddressList: `product` only for mark certificates (801 VMC, 803 CMC). */
export const DCV_EMAIL_LIST_FIELDS = {
  ...CREDENTIALS,
  domainName: field('domainName', parameter('domainName'), 'text', 255),
  product: field('product', parameter('product'), 'text'),
  // Always 1 (text): the JSON form's layout is not documented on the pages we could read.
  responseFormat: field('responseFormat', service, 'fixed', 1)
} as const satisfies Record<string, FieldSpec>

/** ResendDCVEmail: the order by number or base number, an optional new address and template. */
export const RESEND_FIELDS = {
  ...CREDENTIALS,
  orderNumber: field('orderNumber', parameter('orderNumber'), 'text'),
  baseOrderNumber: field('baseOrderNumber', parameter('baseOrderNumber'), 'text'),
  dcvEmailAddress: field('dcvEmailAddress', member('/email'), 'text', 255),
  dcvTemplateID: field('dcvTemplateID', member('/dcvTemplateId'), 'text')
} as const satisfies Record<string, FieldSpec>

/** GetMDCDomainDetails: per-domain DCV state of an order, asked for URL-encoded. */
export const DOMAIN_DETAILS_FIELDS = {
  ...CREDENTIALS,
  orderNumber: field('orderNumber', parameter('orderNumber'), 'text'),
  responseFormat: field('responseFormat', service, 'fixed', 1)
} as const satisfies Record<string, FieldSpec>

/** GetDetailedOrderStatus: always the fullest query (2: with replacement orders) and the validity period. */
export const ORDER_STATUS_FIELDS = {
  ...CREDENTIALS,
  orderNumber: field('orderNumber', parameter('orderNumber'), 'text'),
  queryType: field('queryType', service, 'fixed', 1),
  showValidityPeriod: field('showValidityPeriod', service, 'fixed', 1),
  responseFormat: field('responseFormat', service, 'fixed', 1)
} as const satisfies Record<string, FieldSpec>

export const DCV_EMAIL_LIST_FIXED_FIELDS: ReadonlyArray<readonly [keyof typeof DCV_EMAIL_LIST_FIELDS, string]> = [['responseFormat', '1']]
export const DOMAIN_DETAILS_FIXED_FIELDS: ReadonlyArray<readonly [keyof typeof DOMAIN_DETAILS_FIELDS, string]> = [['responseFormat', '1']]
export const ORDER_STATUS_FIXED_FIELDS: ReadonlyArray<readonly [keyof typeof ORDER_STATUS_FIELDS, string]> = [
  ['queryType', '2'],
  ['showValidityPeriod', 'Y'],
  ['responseFormat', '1']
]

/** GetDCVEmailAddressList's `product` codes, by the name the JSON API uses. */
export const MARK_PRODUCT_CODES = { VMC: '801', CMC: '803' } as const
export type MarkProduct = keyof typeof MARK_PRODUCT_CODES

/**
 * The keys the service reads in the four read replies. The pages' response tables were only
 * partly readable (docs/sectigo-protocol.md says which names are confirmed and which are chosen):
 * a correction is a one-line change here.
 */
export const REPLY_KEYS = {
  emailList: {
    domainName: 'domain_name',
    whois: 'whois_email',
    /** `level<N>_email`: the role mailboxes at the domain of N labels. */
    level: /^level(\d{1,3})_email$/
  },
  domainDetails: { domainName: 'domainName', method: 'dcvMethod', status: 'dcvStatus' },
  orderStatus: {
    certificateStatus: 'certificateStatus',
    validationStatus: 'validationStatus',
    notBefore: 'notBefore',
    notAfter: 'notAfter',
    replacementOrderNumber: 'replacementOrderNumber'
  }
} as const

export type DcvFieldName = keyof typeof DCV_FIELDS
export type ReplacementFieldName = keyof typeof REPLACEMENT_FIELDS

export const FIELDS_BY_ENDPOINT: Record<Endpoint, Readonly<Record<string, FieldSpec>>> = {
  '!AutoUpdateDCV': DCV_FIELDS,
  '!AutoReplaceMC': REPLACEMENT_FIELDS,
  '!GetDCVEmailAddressList': DCV_EMAIL_LIST_FIELDS,
  '!ResendDCVEmail': RESEND_FIELDS,
  '!GetMDCDomainDetails': DOMAIN_DETAILS_FIELDS,
  '!GetDetailedOrderStatus': ORDER_STATUS_FIELDS
}

const SPECS_BY_NAME = new Map<Endpoint, ReadonlyMap<string, FieldSpec>>(
  (Object.keys(FIELDS_BY_ENDPOINT) as Endpoint[]).map((endpoint) => {
    const byName = new Map<string, FieldSpec>()
    for (const spec of Object.values(FIELDS_BY_ENDPOINT[endpoint])) if (!byName.has(spec.name)) byName.set(spec.name, spec)
    return [endpoint, byName]
  })
)

/** An endpoint's field by its upstream name (a map built once: this runs for every field sent). */
export function fieldSpec(endpoint: Endpoint, name: string): FieldSpec | undefined {
  return SPECS_BY_NAME.get(endpoint)?.get(name)
}

/** The fields the service always sends to AutoReplaceMC, so the reply is URL-encoded and complete. */
export const REPLACEMENT_FIXED_FIELDS: ReadonlyArray<readonly [ReplacementFieldName, string]> = [
  ['responseFormat', '1'],
  ['showCertificateState', 'Y'],
  ['showValidityPeriod', 'Y'],
  ['showReplOrderNumber', 'Y']
]

export const FLAG_VALUES = { true: 'Y', false: 'N' } as const

/** DCV methods in the JSON API, spelled as `newMethod(s)` takes them. */
export const DCV_METHODS = ['EMAIL', 'HTTP_CSR_HASH', 'HTTPS_CSR_HASH', 'CNAME_CSR_HASH'] as const
export type DcvMethod = (typeof DCV_METHODS)[number]
export type CsrHashMethod = Exclude<DcvMethod, 'EMAIL'>
export const CSR_HASH_METHODS = ['HTTP_CSR_HASH', 'HTTPS_CSR_HASH', 'CNAME_CSR_HASH'] as const satisfies readonly CsrHashMethod[]
/** Methods that a wildcard domain cannot use (Sectigo's -126). */
export const HTTP_CSR_HASH_METHODS: readonly DcvMethod[] = ['HTTP_CSR_HASH', 'HTTPS_CSR_HASH']

/** The spelling of each CSR-hash method inside AutoReplaceMC's `dcvEmailAddresses`. */
export const REPLACEMENT_DCV_TOKENS: Record<CsrHashMethod, string> = {
  HTTP_CSR_HASH: 'HTTPCSRHASH',
  HTTPS_CSR_HASH: 'HTTPSCSRHASH',
  CNAME_CSR_HASH: 'CNAMECSRHASH'
}

/** The magic tokens that set every domain of the order at once; they must stand alone. */
export const REPLACEMENT_ALL_TOKENS: Record<CsrHashMethod, string> = {
  HTTP_CSR_HASH: 'ALLHTTPCSRHASH',
  HTTPS_CSR_HASH: 'ALLHTTPSCSRHASH',
  CNAME_CSR_HASH: 'ALLCNAMECSRHASH'
}

/** Every form field a route may send: used by tests and by the dry run to prove nothing else leaves. */
export function allowedFieldNames(endpoint: Endpoint): ReadonlySet<string> {
  return new Set(Object.values(FIELDS_BY_ENDPOINT[endpoint]).map((f) => f.name))
}
