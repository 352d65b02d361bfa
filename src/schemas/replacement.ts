import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { CSR_HASH_METHODS, REPLACEMENT_FIELDS as R, type FieldSpec } from '../sectigo/fields.js'
import {
  BASE64_PATTERN,
  COUNTRY_PATTERN,
  DATE_PATTERN,
  DUNS_PATTERN,
  DcvMethod,
  DomainName,
  Email,
  StringEnum,
  Text,
  upstream
} from './common.js'

/** A real CSR for brand.example and www.brand.example (ECDSA P-256), for the documentation. */
const EXAMPLE_CSR = [
  '-----BEGIN CERTIFICATE REQUEST-----',
  'MIIBEDCBuAIBADAYMRYwFAYDVQQDDA1icmFuZC5leGFtcGxlMFkwEwYHKoZIzj0C',
  'AQYIKoZIzj0DAQcDQgAEC9e+jg0jAD+Prc/4LZqxdOr/GItUsuGn2z6JoQfisIm5',
  'hu6fmc/sCUeGmMUFs3LC+ajEo0p8vXLgn1iOdJZoFqA+MDwGCSqGSIb3DQEJDjEv',
  'MC0wKwYDVR0RBCQwIoINYnJhbmQuZXhhbXBsZYIRd3d3LmJyYW5kLmV4YW1wbGUw',
  'CgYIKoZIzj0EAwIDRwAwRAIgCgSQC4JnjidkxEQy8ACHJJ81Gbl18JkgQq/VMz3c',
  'MBcCIBK5UA0OAdbGaaLu2kiQDbeeh/TlxPZzW2wuxeGBk7Ok',
  '-----END CERTIFICATE REQUEST-----'
].join('\n')

/** A text member becoming `spec`: the page's maximum length and the upstream name, from the table. */
function text(spec: FieldSpec, description: string, example: string) {
  return Type.Optional(Text({ maxLength: spec.maxLength, description, examples: [example], ...upstream(spec.name) }))
}

function country(spec: FieldSpec, description: string, example = 'US') {
  return Type.Optional(
    Type.String({
      pattern: COUNTRY_PATTERN,
      description: `${description} An assigned ISO 3166-1 alpha-2 code.`,
      examples: [example],
      ...upstream(spec.name)
    })
  )
}

function flag(spec: FieldSpec, description: string) {
  return Type.Optional(Type.Boolean({ description: `${description} Sent as \`Y\`/\`N\`.`, examples: [true], ...upstream(spec.name) }))
}

const EMAIL_RULE = {
  if: { properties: { method: { const: 'EMAIL' } }, required: ['method'] },
  then: { required: ['email'] },
  else: { properties: { email: false } }
}

export const ReplacementDomain = Type.Object(
  {
    domainName: DomainName({ description: 'A domain of the replacement certificate.', ...upstream(R.domainNames.name) }),
    method: Type.Optional(
      Type.Unsafe<Static<typeof DcvMethod>>({
        ...DcvMethod,
        description: `${String(DcvMethod.description)} Give it for every domain or for none (Sectigo then keeps the current methods).`,
        ...upstream(R.dcvEmailAddresses.name)
      })
    ),
    email: Type.Optional(
      Email({ description: 'The approved DCV e-mail address. Required for `EMAIL`, forbidden otherwise.', ...upstream(R.dcvEmailAddresses.name) })
    )
  },
  {
    $id: 'ReplacementDomain',
    description: 'One domain, with an optional DCV method.',
    additionalProperties: false,
    examples: [{ domainName: 'brand.example', method: 'CNAME_CSR_HASH' }],
    ...EMAIL_RULE
  }
)

export const Trademark = Type.Object(
  {
    countryName: country(R.trademarkCountryName, 'The country of the trademark registration.'),
    office: text(R.trademarkOffice, 'The government authority that registered the trademark.', 'USPTO'),
    identifier: text(R.trademarkIdentifier, 'The registration number issued by the trademark office.', '1234567')
  },
  { $id: 'Trademark', description: 'The registered mark (VMC only).', additionalProperties: false, minProperties: 1 }
)

export const Organization = Type.Object(
  {
    name: text(R.organizationName, 'The organization name.', 'Example Brands Inc.'),
    unitName: text(R.organizationalUnitName, 'The organizational unit.', 'Marketing'),
    postOfficeBox: text(R.postOfficeBox, 'The post office box.', 'PO Box 100'),
    streetAddress1: text(R.streetAddress1, 'The street address.', '1 Example Street'),
    streetAddress2: text(R.streetAddress2, 'The second line of the street address.', 'Suite 200'),
    streetAddress3: text(R.streetAddress3, 'The third line of the street address.', 'Building B'),
    locality: text(R.localityName, 'The city.', 'Springfield'),
    stateOrProvince: text(R.stateOrProvinceName, 'The state or province.', 'Illinois'),
    postalCode: text(R.postalCode, 'The postal code.', '62701'),
    country: country(R.countryName, 'The country.'),
    dunsNumber: Type.Optional(
      Type.String({ pattern: DUNS_PATTERN, description: 'The nine-digit Dun & Bradstreet number.', examples: ['123456789'], ...upstream(R.dunsNumber.name) })
    ),
    companyNumber: text(R.companyNumber, 'The company registration number.', 'C1234567'),
    assumedName: text(R.assumedName, 'A "doing business as" name.', 'Example Brands'),
    dateOfIncorporation: Type.Optional(
      Type.String({
        pattern: DATE_PATTERN,
        description: 'The date of incorporation, YYYY-MM-DD; it must exist.',
        examples: ['2001-04-01'],
        ...upstream(R.dateOfIncorporation.name)
      })
    )
  },
  { $id: 'Organization', description: 'The organization named in the certificate.', additionalProperties: false, minProperties: 1 }
)

export const Jurisdiction = Type.Object(
  {
    locality: text(R.joiLocalityName, 'The city of incorporation.', 'Springfield'),
    stateOrProvince: text(R.joiStateOrProvinceName, 'The state or province of incorporation.', 'Illinois'),
    country: country(R.joiCountryName, 'The country of incorporation.')
  },
  { $id: 'Jurisdiction', description: 'The jurisdiction of incorporation.', additionalProperties: false, minProperties: 1 }
)

export const RepresentativeOrganization = Type.Object(
  {
    name: Text({
      maxLength: R.appRepOrganizationName.maxLength,
      description: "The representative's organization, when it differs from the certificate's.",
      examples: ['Example Legal LLP'],
      ...upstream(R.appRepOrganizationName.name)
    }),
    unitName: text(R.appRepOrganizationalUnitName, 'Its organizational unit.', 'Legal'),
    streetAddress1: text(R.appRepStreetAddress1, 'Its street address.', '2 Example Road'),
    streetAddress2: text(R.appRepStreetAddress2, 'The second line of its street address.', 'Floor 3'),
    streetAddress3: text(R.appRepStreetAddress3, 'The third line of its street address.', 'East wing'),
    postOfficeBox: text(R.appRepPostOfficeBox, 'Its post office box.', 'PO Box 200'),
    locality: text(R.appRepLocalityName, 'Its city.', 'Springfield'),
    stateOrProvince: text(R.appRepStateOrProvinceName, 'Its state or province.', 'Illinois'),
    postalCode: text(R.appRepPostalCode, 'Its postal code.', '62702'),
    country: country(R.appRepCountryName, 'Its country.')
  },
  {
    $id: 'RepresentativeOrganization',
    description: "The applicant representative's organization; `name` is required, since Sectigo ignores the rest without it.",
    additionalProperties: false
  }
)

export const ApplicantRepresentative = Type.Object(
  {
    forename: text(R.appRepForename, 'Forename, for the callback.', 'Jane'),
    surname: text(R.appRepSurname, 'Surname, for the callback.', 'Doe'),
    email: Type.Optional(
      Email({ maxLength: R.appRepEmailAddress.maxLength, description: 'E-mail address, for the callback.', examples: ['jane.doe@brand.example'], ...upstream(R.appRepEmailAddress.name) })
    ),
    telephone: text(R.appRepTelephone, 'Telephone number, for the callback.', '+1 555 0100'),
    title: text(R.appRepTitle, 'Job title.', 'Brand Manager'),
    fax: text(R.appRepFax, 'Fax number.', '+1 555 0101'),
    organization: Type.Optional(Type.Ref(RepresentativeOrganization))
  },
  {
    $id: 'ApplicantRepresentative',
    description: 'The person Sectigo calls back to verify the organization.',
    additionalProperties: false,
    minProperties: 1
  }
)

export const ReplacementRequest = Type.Object(
  {
    domains: Type.Optional(
      Type.Array(Type.Ref(ReplacementDomain), {
        minItems: 1,
        maxItems: 250,
        description:
          'The domains of the replacement, names unique ignoring case; sent comma-joined as `domainNames`. Per-domain methods are sent as `dcvEmailAddresses` (the e-mail, or `HTTPCSRHASH` / `HTTPSCSRHASH` / `CNAMECSRHASH`).',
        examples: [[{ domainName: 'brand.example', method: 'CNAME_CSR_HASH' }, { domainName: 'www.brand.example', method: 'EMAIL', email: 'admin@brand.example' }]],
        ...upstream(`${R.domainNames.name}, ${R.dcvEmailAddresses.name}`)
      })
    ),
    dcvMethod: Type.Optional(
      StringEnum(CSR_HASH_METHODS, {
        description:
          'One CSR-hash method for every domain of the order, sent as the magic token `ALLHTTPCSRHASH` / `ALLHTTPSCSRHASH` / `ALLCNAMECSRHASH`. Allowed without `domains`; never with per-domain methods.',
        examples: ['CNAME_CSR_HASH'],
        ...upstream(R.dcvEmailAddresses.name)
      })
    ),
    csr: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: R.csr.maxLength,
        // A PEM needs its line breaks: the one member where CR and LF are allowed.
        pattern: '^[-A-Za-z0-9+/= \\r\\n]*$',
        description:
          'A PKCS#10 CSR: PEM with or without the BEGIN/END lines, or bare base64. Decoded and checked before the call, then forwarded exactly as sent. Omit it to keep the original CSR.',
        examples: [EXAMPLE_CSR],
        ...upstream(R.csr.name)
      })
    ),
    markLogo: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: R.markLogo.maxLength,
        pattern: BASE64_PATTERN,
        description: 'The mark logo (SVG Tiny PS), base64 or base64url (one alphabet, not both). Forwarded as sent.',
        examples: ['PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4='],
        ...upstream(R.markLogo.name)
      })
    ),
    trademark: Type.Optional(Type.Ref(Trademark)),
    logoPriorUseDomainName: Type.Optional(
      DomainName({
        description: 'The domain that proves prior use of the logo (CMC only); when `domains` is given, one of them.',
        examples: ['mark.example'],
        ...upstream(R.logoPriorUseDomainName.name)
      })
    ),
    organization: Type.Optional(Type.Ref(Organization)),
    jurisdiction: Type.Optional(Type.Ref(Jurisdiction)),
    applicantRepresentative: Type.Optional(Type.Ref(ApplicantRepresentative)),
    foreignOrderNumber: text(R.foreignOrderNumber, 'Your own identifier for the order; replaces any earlier one.', 'PO-2026-0042'),
    requireUniqueForeignOrderNumber: flag(R.checkFONIsUnique, '`true`: `foreignOrderNumber` must not have been used by this account before.'),
    ignoreLateOrgDetailsChanges: flag(
      R.ignoreLateOrgDetailsChanges,
      "`true`: Sectigo ignores new organization name and address values and keeps the previous certificate's."
    ),
    updateOrgDetails: flag(R.updateOrgDetails, "`true`: Sectigo updates the organization's name and address details."),
    logoHostedByCA: flag(R.logoHostedByCA, '`true` (Sectigo\'s default): Sectigo hosts the logo and certificate files.')
  },
  {
    $id: 'ReplacementRequest',
    description: 'Everything optional: the empty object (or no body) replaces the order with its original CSR and data.',
    additionalProperties: false,
    examples: [{}]
  }
)
export type ReplacementRequest = Static<typeof ReplacementRequest>
export type ReplacementDomain = Static<typeof ReplacementDomain>

const CnameInstruction = Type.Object({
  name: Type.String({ description: 'The record to create: `_<MD5>.<domain>`.' }),
  target: Type.String({ description: 'What it points to: `<SHA-256 first 32>.<SHA-256 last 32>.sectigo.com`.' })
})
const FileInstruction = Type.Object({
  url: Type.String({ description: 'Where the file must be served, without redirects.' }),
  content: Type.String({ description: 'The exact file content: the SHA-256, a newline, `sectigo.com`.' })
})

export const DcvInstruction = Type.Object(
  {
    domainName: Type.String(),
    method: StringEnum(CSR_HASH_METHODS),
    cname: Type.Optional(CnameInstruction),
    file: Type.Optional(FileInstruction)
  },
  { $id: 'DcvInstruction', description: 'What to publish so that Sectigo can validate one domain by its CSR hash.' }
)
export type DcvInstruction = Static<typeof DcvInstruction>

export const ReplacementResult = Type.Object(
  {
    orderNumber: Type.String({ description: 'The order replaced.', examples: ['2000001'] }),
    replacementOrderNumber: Type.Optional(Type.String({ description: 'The order Sectigo created for the replacement.', examples: ['3000001'] })),
    certificateStatus: Type.Optional(Type.String({ description: "The new certificate's state.", examples: ['Pending Validation'] })),
    productTerm: Type.Optional(
      Type.Object({
        start: Type.Optional(Type.String({ format: 'date-time', description: 'RFC 3339, UTC.' })),
        end: Type.Optional(Type.String({ format: 'date-time', description: 'RFC 3339, UTC.' })),
        durationDays: Type.Optional(Type.Integer())
      })
    ),
    dcvInstructions: Type.Optional(
      Type.Array(Type.Ref(DcvInstruction), {
        description: 'Present when the request carried a `csr` and some domain uses a CSR-hash method: what to publish per domain.'
      })
    )
  },
  {
    $id: 'ReplacementResult',
    description: 'The replacement Sectigo created; members Sectigo did not return are absent.',
    examples: [
      {
        orderNumber: '2000001',
        replacementOrderNumber: '3000001',
        certificateStatus: 'Pending Validation',
        productTerm: { start: '2026-11-22T00:00:00Z', end: '2027-11-22T00:00:00Z', durationDays: 365 }
      }
    ]
  }
)
export type ReplacementResult = Static<typeof ReplacementResult>

export const REPLACEMENT_SCHEMAS: TSchema[] = [
  ReplacementDomain,
  Trademark,
  Organization,
  Jurisdiction,
  RepresentativeOrganization,
  ApplicantRepresentative,
  ReplacementRequest,
  DcvInstruction,
  ReplacementResult
]

const LOGO = 'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZlcnNpb249IjEuMiIgYmFzZVByb2ZpbGU9InRpbnktcHMiLz4='

/** Named request examples, selectable in Swagger UI; they work against the sandbox's seeded orders. */
export const REPLACEMENT_REQUEST_EXAMPLES = {
  original: { summary: 'Replace with the original CSR and data (sandbox: order 2000001)', value: {} },
  vmc: {
    summary: 'VMC: new CSR, logo, trademark and organization details; answers with DCV instructions (sandbox: order 2000001)',
    value: {
      domains: [
        { domainName: 'brand.example', method: 'CNAME_CSR_HASH' },
        { domainName: 'www.brand.example', method: 'EMAIL', email: 'admin@brand.example' }
      ],
      csr: EXAMPLE_CSR,
      markLogo: LOGO,
      trademark: { countryName: 'US', office: 'USPTO', identifier: '1234567' },
      organization: { name: 'Example Brands Inc.', locality: 'Springfield', stateOrProvince: 'Illinois', country: 'US', dateOfIncorporation: '2001-04-01' },
      jurisdiction: { stateOrProvince: 'Delaware', country: 'US' },
      applicantRepresentative: { forename: 'Jane', surname: 'Doe', email: 'jane.doe@brand.example', telephone: '+1 555 0100' },
      updateOrgDetails: true
    }
  },
  cmc: {
    summary: 'CMC: logo with proof of prior use (sandbox: order 2000002)',
    value: { domains: [{ domainName: 'mark.example' }], dcvMethod: 'CNAME_CSR_HASH', markLogo: LOGO, logoPriorUseDomainName: 'mark.example' }
  },
  expired: { summary: 'Fails: certificate expired (sandbox: order 2000003)', value: {} }
}
