import { Type, type Static } from '@sinclair/typebox'
import { DCV_EMAIL_LIST_FIELDS, DCV_METHODS, DOMAIN_DETAILS_FIELDS, MARK_PRODUCT_CODES, REPLY_KEYS, RESEND_FIELDS, type MarkProduct } from '../sectigo/fields.js'
import { Email, FQDN_PATTERN, StringEnum, upstream, type DcvMethod } from './common.js'

// ---- GET /domains/{domainName}/dcv-email-addresses (GetDCVEmailAddressList) ----

export const DomainNameParam = Type.Object(
  {
    domainName: Type.String({
      pattern: FQDN_PATTERN,
      maxLength: 253,
      description: 'The fully qualified domain name to list addresses for; a wildcard starts with `*.`.',
      examples: ['www.example.com'],
      ...upstream(DCV_EMAIL_LIST_FIELDS.domainName.name)
    })
  },
  { additionalProperties: false }
)

const PRODUCTS = Object.keys(MARK_PRODUCT_CODES) as MarkProduct[]

export const DcvEmailListQuery = Type.Object(
  {
    product: Type.Optional(
      StringEnum(PRODUCTS, {
        description:
          'For a mark certificate only: `VMC` (sent as product 801) or `CMC` (803). Leave out for SSL certificates.',
        ...upstream(DCV_EMAIL_LIST_FIELDS.product.name)
      })
    )
  },
  { additionalProperties: false }
)
export type DcvEmailListQuery = Static<typeof DcvEmailListQuery>

export const DcvEmailAddress = Type.Object(
  {
    email: Type.String({ description: 'An address Sectigo accepts for this domain.', examples: ['admin@example.com'] }),
    source: StringEnum(['WHOIS', 'ROLE_MAILBOX'] as const, {
      description: '`WHOIS`: the domain\'s registration contact; `ROLE_MAILBOX`: admin@, administrator@, hostmaster@, postmaster@ or webmaster@ of the domain or a parent.',
      ...upstream(`${REPLY_KEYS.emailList.whois}, level<N>_email`)
    }),
    domainLevel: Type.Optional(
      Type.Integer({ minimum: 1, description: 'For a role mailbox: the number of labels of the domain it belongs to (2 for example.com).', examples: [2] })
    )
  },
  { $id: 'DcvEmailAddress', description: 'One address Sectigo will send a DCV e-mail to.' }
)
export type DcvEmailAddress = Static<typeof DcvEmailAddress>

export const DcvEmailListResult = Type.Object(
  {
    domainName: Type.String({ description: 'The domain the list is for, as Sectigo named it.', examples: ['www.example.com'], ...upstream(REPLY_KEYS.emailList.domainName) }),
    emailAddresses: Type.Array(Type.Ref(DcvEmailAddress), {
      description: 'The WHOIS contact first (when there is one), then the role mailboxes from the domain itself to its shortest parent.'
    }),
    acceptedUntil: Type.String({
      format: 'date-time',
      description: 'Sectigo accepts an address from this list in `POST …/dcv` and `POST …/dcv/resend` for 24 hours after it was listed.',
      examples: ['2025-01-02T12:00:00Z']
    })
  },
  {
    $id: 'DcvEmailListResult',
    description: 'The e-mail addresses Sectigo accepts for domain control validation of one domain.',
    examples: [
      {
        domainName: 'www.example.com',
        emailAddresses: [
          { email: 'registrant@example.com', source: 'WHOIS' },
          { email: 'admin@www.example.com', source: 'ROLE_MAILBOX', domainLevel: 3 },
          { email: 'admin@example.com', source: 'ROLE_MAILBOX', domainLevel: 2 }
        ],
        acceptedUntil: '2025-01-02T12:00:00Z'
      }
    ]
  }
)
export type DcvEmailListResult = Static<typeof DcvEmailListResult>

// ---- POST /orders/{orderNumber}/dcv/resend (ResendDCVEmail) ----

export const ResendRequest = Type.Object(
  {
    email: Type.Optional(
      Email({
        description:
          'The address to send the DCV e-mail to now; one that `GET /domains/{domainName}/dcv-email-addresses` listed in the last 24 hours. Leave out to send again to the last address.',
        ...upstream(RESEND_FIELDS.dcvEmailAddress.name)
      })
    ),
    dcvTemplateId: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2147483647,
        description: "Overrides Sectigo's default DCV e-mail template. Not relevant for VMC/CMC products.",
        examples: [12],
        ...upstream(RESEND_FIELDS.dcvTemplateID.name)
      })
    )
  },
  {
    $id: 'ResendRequest',
    description: 'Every member is optional: the empty object (or no body) sends the DCV e-mail again to the address it last went to.',
    additionalProperties: false,
    examples: [{ email: 'admin@example.com' }]
  }
)
export type ResendRequest = Static<typeof ResendRequest>

export const ResendResult = Type.Object(
  {
    orderNumber: Type.Optional(Type.String({ description: 'The order (on `/orders/{orderNumber}/dcv/resend`).', examples: ['1000007'] })),
    baseOrderNumber: Type.Optional(Type.String({ description: 'The base order (on `/base-orders/{baseOrderNumber}/dcv/resend`).' })),
    email: Type.Optional(Type.String({ description: 'The address it was sent to, when one was given; otherwise the last one used.' })),
    dcvTemplateId: Type.Optional(Type.Integer({ description: 'Present when it was sent.' }))
  },
  // Closed, so that the answer union can tell it from a dry run's (every member here is optional).
  { $id: 'ResendResult', additionalProperties: false, description: 'Sectigo accepted to send the DCV e-mail again.', examples: [{ orderNumber: '1000007', email: 'admin@example.com' }] }
)
export type ResendResult = Static<typeof ResendResult>

// ---- GET /orders/{orderNumber}/dcv (GetMDCDomainDetails) ----

export const DOMAIN_DCV_STATES = ['VALIDATED', 'PENDING', 'FAILED'] as const
export type DomainDcvState = (typeof DOMAIN_DCV_STATES)[number]

const K = REPLY_KEYS.domainDetails

export const DomainDcvStatus = Type.Object(
  {
    domainName: Type.String({ examples: ['mail.example.com'], description: 'One domain of the order.', ...upstream(`N_${K.domainName}`) }),
    method: Type.Unsafe<DcvMethod | 'OTHER'>({
      type: 'string',
      enum: [...DCV_METHODS, 'OTHER'],
      description: 'The DCV method in use; `OTHER` when Sectigo names one this service does not know (see `sectigoMethod`).',
      examples: ['EMAIL'],
      ...upstream(`N_${K.method}`)
    }),
    sectigoMethod: Type.String({ description: "Sectigo's own words for the method.", examples: ['EMAIL'] }),
    state: StringEnum(DOMAIN_DCV_STATES, {
      description: '`VALIDATED` only when Sectigo says exactly "Validated"; `FAILED` for a failed or rejected validation; otherwise `PENDING`.',
      ...upstream(`N_${K.status}`)
    }),
    sectigoStatus: Type.String({ description: "Sectigo's own words for the status.", examples: ['Awaiting Validation'] })
  },
  { $id: 'DomainDcvStatus', description: 'The DCV state of one domain.' }
)

export const DomainDetailsResult = Type.Object(
  {
    orderNumber: Type.String({ examples: ['1000007'], ...upstream(DOMAIN_DETAILS_FIELDS.orderNumber.name) }),
    allValidated: Type.Boolean({ description: 'Every domain is `VALIDATED`.' }),
    domains: Type.Array(Type.Ref(DomainDcvStatus), { description: 'In the order Sectigo numbers them.' })
  },
  {
    $id: 'DomainDetailsResult',
    description: 'Which domains of an order have passed domain control validation.',
    examples: [
      {
        orderNumber: '1000007',
        allValidated: false,
        domains: [{ domainName: 'mail.example.com', method: 'EMAIL', sectigoMethod: 'EMAIL', state: 'PENDING', sectigoStatus: 'Awaiting Validation' }]
      }
    ]
  }
)
export type DomainDetailsResult = Static<typeof DomainDetailsResult>

export const DCV_WORKFLOW_SCHEMAS = [DcvEmailAddress, DcvEmailListResult, ResendRequest, ResendResult, DomainDcvStatus, DomainDetailsResult]

/** Named request examples for the resend routes; they work against the sandbox's order 1000007. */
export const RESEND_REQUEST_EXAMPLES = {
  newAddress: {
    summary: 'To a listed address (sandbox: order 1000007)',
    value: { email: 'admin@example.com' }
  },
  lastAddress: {
    summary: 'Again to the last address (sandbox: order 1000007)',
    value: {}
  },
  unlisted: {
    summary: 'Fails: an address GetDCVEmailAddressList does not offer (sandbox: order 1000007)',
    value: { email: 'someone@example.com' }
  }
}
