import { Type, type Static } from '@sinclair/typebox'
import { DCV_FIELDS } from '../sectigo/fields.js'
import { DcvMethod, DomainName, Email, upstream } from './common.js'

// `email` is required with EMAIL and forbidden with any other method: one rule for both shapes.
const EMAIL_RULE = {
  if: { properties: { method: { const: 'EMAIL' } }, required: ['method'] },
  then: { required: ['email'] },
  else: { properties: { email: false } }
}

const TemplateId = Type.Integer({
  minimum: 1,
  maximum: 2147483647,
  description: "Overrides Sectigo's default DCV e-mail template (set up with your account manager). Not relevant for VMC/CMC products.",
  examples: [12],
  ...upstream(DCV_FIELDS.dcvTemplateID.name)
})

export const DcvSingleRequest = Type.Object(
  {
    method: Type.Unsafe<DcvMethod>({ ...DcvMethod, ...upstream(DCV_FIELDS.newMethod.name) }),
    domainName: Type.Optional(
      DomainName({
        description:
          'The domain to update. Not needed for a single-domain order; needed for one domain of a multi-domain order.',
        ...upstream(DCV_FIELDS.domainName.name)
      })
    ),
    email: Type.Optional(
      Email({
        description: 'The approved DCV e-mail address (see GetDCVEmailAddressList). Required for `EMAIL`, forbidden otherwise.',
        ...upstream(DCV_FIELDS.newDCVEmailAddress.name)
      })
    ),
    dcvTemplateId: Type.Optional(TemplateId)
  },
  {
    $id: 'DcvSingleRequest',
    title: 'Single domain',
    description: 'One domain (or a single-domain order, where no domain name is needed).',
    additionalProperties: false,
    examples: [{ method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com', dcvTemplateId: 12 }],
    ...EMAIL_RULE
  }
)

export const DcvDomain = Type.Object(
  {
    domainName: DomainName({ description: 'One domain of the order.', ...upstream(DCV_FIELDS.domainNames.name) }),
    method: Type.Unsafe<DcvMethod>({ ...DcvMethod, ...upstream(DCV_FIELDS.newMethods.name) }),
    email: Type.Optional(
      Email({
        description: 'The approved DCV e-mail address for this domain. Required for `EMAIL`, forbidden otherwise.',
        ...upstream(DCV_FIELDS.newDCVEmailAddresses.name)
      })
    )
  },
  {
    $id: 'DcvDomain',
    description: 'One domain and its new DCV method.',
    additionalProperties: false,
    examples: [{ domainName: 'example.com', method: 'EMAIL', email: 'admin@example.com' }],
    ...EMAIL_RULE
  }
)

export const DcvMultiRequest = Type.Object(
  {
    domains: Type.Array(Type.Ref(DcvDomain), {
      minItems: 1,
      maxItems: 100,
      description:
        'The domains to update, names unique ignoring case. Sent as space-separated `domainNames` and `newMethods`, and the e-mails of the EMAIL entries as `newDCVEmailAddresses`; each joined list must fit in 255 characters.',
      examples: [[{ domainName: 'example.com', method: 'EMAIL', email: 'admin@example.com' }, { domainName: 'shop.example.com', method: 'CNAME_CSR_HASH' }]],
      ...upstream(`${DCV_FIELDS.domainNames.name}, ${DCV_FIELDS.newMethods.name}, ${DCV_FIELDS.newDCVEmailAddresses.name}`)
    }),
    dcvTemplateId: Type.Optional(TemplateId)
  },
  {
    $id: 'DcvMultiRequest',
    title: 'Several domains',
    description: 'Several domains of a multi-domain order, each with its own method.',
    additionalProperties: false,
    examples: [
      {
        domains: [
          { domainName: 'example.com', method: 'EMAIL', email: 'admin@example.com' },
          { domainName: 'shop.example.com', method: 'CNAME_CSR_HASH' }
        ],
        dcvTemplateId: 12
      }
    ]
  }
)

export const DcvRequest = Type.Union([Type.Ref(DcvSingleRequest), Type.Ref(DcvMultiRequest)], {
  $id: 'DcvRequest',
  description: 'Exactly one of the two shapes: a single domain (`method`) or several (`domains`).'
})

export type DcvSingleRequest = Static<typeof DcvSingleRequest>
export type DcvDomain = Static<typeof DcvDomain>
export type DcvMultiRequest = { domains: DcvDomain[]; dcvTemplateId?: number }
export type DcvRequest = DcvSingleRequest | DcvMultiRequest

export function isMulti(body: DcvRequest): body is DcvMultiRequest {
  return 'domains' in body
}

export const DcvResult = Type.Object(
  {
    orderNumber: Type.Optional(Type.String({ description: 'The order updated (on `/orders/{orderNumber}/dcv`).', examples: ['1234567'] })),
    baseOrderNumber: Type.Optional(Type.String({ description: 'The base order updated (on `/base-orders/{baseOrderNumber}/dcv`).' })),
    domains: Type.Array(
      Type.Object({
        domainName: Type.Optional(Type.String({ description: 'Absent when the request named no domain.' })),
        method: DcvMethod,
        email: Type.Optional(Type.String())
      }),
      { description: 'What was applied, in the order given.' }
    ),
    dcvTemplateId: Type.Optional(Type.Integer({ description: 'Present when it was sent.' }))
  },
  {
    $id: 'DcvResult',
    description: 'The DCV methods Sectigo accepted.',
    examples: [{ orderNumber: '1234567', domains: [{ domainName: 'example.com', method: 'EMAIL', email: 'admin@example.com' }] }]
  }
)
export type DcvResult = Static<typeof DcvResult>

export const DCV_SCHEMAS = [DcvSingleRequest, DcvDomain, DcvMultiRequest, DcvRequest, DcvResult]

/** Named request examples, selectable in Swagger UI; they work against the sandbox's seeded orders. */
export const DCV_REQUEST_EXAMPLES = {
  single: {
    summary: 'One domain by e-mail (sandbox: order 1000001)',
    value: { method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com' }
  },
  singleOrderCname: {
    summary: 'A single-domain order, no domain name needed (sandbox: order 1000001)',
    value: { method: 'CNAME_CSR_HASH' }
  },
  multi: {
    summary: 'Several domains of a multi-domain order (sandbox: order 1000002)',
    value: {
      domains: [
        { domainName: 'example.com', method: 'EMAIL', email: 'admin@example.com' },
        { domainName: 'shop.example.com', method: 'CNAME_CSR_HASH' }
      ]
    }
  },
  pendingDomain: {
    summary: 'The pending domain of a partly validated order (sandbox: order 1000004)',
    value: { method: 'CNAME_CSR_HASH', domainName: 'www.example.net' }
  },
  alreadyValidated: {
    summary: 'Fails: domain already validated (sandbox: order 1000004)',
    value: { method: 'CNAME_CSR_HASH', domainName: 'example.net' }
  }
}

/** The same for the base-order route: only orders 1000001 and 1000002 have base order numbers. */
export const BASE_DCV_REQUEST_EXAMPLES = {
  single: {
    summary: 'One domain by e-mail (sandbox: base order 5000001)',
    value: DCV_REQUEST_EXAMPLES.single.value
  },
  singleOrderCname: {
    summary: 'A single-domain order, no domain name needed (sandbox: base order 5000001)',
    value: DCV_REQUEST_EXAMPLES.singleOrderCname.value
  },
  multi: {
    summary: 'Several domains of a multi-domain order (sandbox: base order 5000002)',
    value: DCV_REQUEST_EXAMPLES.multi.value
  },
  wildcardHttp: {
    summary: 'Fails before the call: a wildcard domain cannot use HTTP_CSR_HASH (sandbox: base order 5000002)',
    value: { method: 'HTTP_CSR_HASH', domainName: '*.example.org' }
  }
}

/**
 * Named examples of the path parameter, selectable in Swagger UI beside the body examples: each
 * body example names the order it works with, and this list offers exactly those orders.
 */
export const DCV_PARAMETER_EXAMPLES = {
  orderNumber: {
    '1000001': { summary: '1000001: single-domain, pending (www.example.com)', value: '1000001' },
    '1000002': { summary: '1000002: multi-domain, pending (example.com, www.example.com, shop.example.com, *.example.org)', value: '1000002' },
    '1000004': { summary: '1000004: example.net validated, www.example.net pending', value: '1000004' }
  },
  baseOrderNumber: {
    '5000001': { summary: '5000001: base order of 1000001 (single-domain)', value: '5000001' },
    '5000002': { summary: '5000002: base order of 1000002 (multi-domain)', value: '5000002' }
  }
}
