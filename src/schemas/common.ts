import { Type, type SchemaOptions, type Static, type TSchema, type TString, type TUnsafe } from '@sinclair/typebox'
import { DCV_METHODS } from '../sectigo/fields.js'

/** The annotation that records, beside each JSON member, the upstream field it becomes. */
export const SECTIGO_FIELD_KEYWORD = 'x-sectigo-field'

export function upstream(field: string): Record<string, string> {
  return { [SECTIGO_FIELD_KEYWORD]: field }
}

// C0 controls and DEL are refused in every string (the contract); a lone surrogate cannot be
// encoded as UTF-8 at all. Ajv compiles patterns with the `u` flag, so \p{Cs} is understood.
export const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001F\\u007F\\p{Cs}]*$'

export const COUNTRY_PATTERN = '^[A-Z]{2}$'
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
export const DUNS_PATTERN = '^[0-9]{9}$'
// Either base64 alphabet, with its padding. That one string does not mix the two is checked by
// the replacement rules: the pattern with an alternation per alphabet took V8 about 200 µs on a
// 30,000-character logo, this one about 40 µs (the class [A-Za-z0-9+/] alone is the slow part).
export const BASE64_PATTERN = '^[A-Za-z0-9+/_-]*={0,2}$'

export const IDEMPOTENCY_KEY_PATTERN = '^[\\x20-\\x7E]{1,255}$'

/** A string member: never a control character; `maxLength` is the upstream field's. */
export function Text(options: SchemaOptions & { maxLength?: number; minLength?: number } = {}): TString {
  return Type.String({ minLength: 1, pattern: NO_CONTROL_CHARACTERS, ...options })
}

/** A string enum rendered as `enum` (clearer in OpenAPI and in errors than a union of consts). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
/** At least two labels of 1 to 63 letters, digits and inner hyphens; an optional leading `*.`. */
export const FQDN_PATTERN = `^(?:\\*\\.)?(?:${LABEL}\\.)+${LABEL}$`

export function DomainName(options: SchemaOptions = {}): TString {
  return Type.String({
    pattern: FQDN_PATTERN,
    maxLength: 253,
    description: 'A fully qualified domain name, at most 253 characters; a wildcard starts with `*.`.',
    examples: ['www.example.com'],
    ...options
  })
}

export function Email(options: SchemaOptions = {}): TString {
  return Type.String({ format: 'email', maxLength: 255, pattern: NO_CONTROL_CHARACTERS, examples: ['admin@example.com'], ...options })
}

export const DcvMethod = StringEnum(DCV_METHODS, {
  description:
    'Domain control validation method: `EMAIL` (a message to an approved address), `HTTP_CSR_HASH` / `HTTPS_CSR_HASH` (a file under `/.well-known/pki-validation/`), `CNAME_CSR_HASH` (a DNS CNAME record).',
  examples: ['CNAME_CSR_HASH']
})
export type DcvMethod = Static<typeof DcvMethod>

/** Sectigo order numbers: 1 to 19 decimal digits, no leading zero, kept as strings. */
export const ORDER_NUMBER_PATTERN = '^[1-9][0-9]{0,18}$'

/** Each pattern said in words, for `errors[].detail` (a regex is no help to a caller). */
export const PATTERN_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [NO_CONTROL_CHARACTERS]: 'must not contain control characters',
  [FQDN_PATTERN]: 'must be a fully qualified domain name (an optional leading *. then labels of letters, digits and inner hyphens)',
  [ORDER_NUMBER_PATTERN]: 'must be a decimal number of 1 to 19 digits without a leading zero',
  [COUNTRY_PATTERN]: 'must be two upper-case letters (ISO 3166-1 alpha-2)',
  [DATE_PATTERN]: 'must be a date written YYYY-MM-DD',
  [DUNS_PATTERN]: 'must be nine digits',
  [BASE64_PATTERN]: 'must use only the base64 or the base64url alphabet',
  [IDEMPOTENCY_KEY_PATTERN]: 'must be 1 to 255 printable ASCII characters'
}

/** The headers of the order routes. */
export const OrderHeaders = Type.Object({
  'Idempotency-Key': Type.Optional(
    Type.String({
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description:
        'Makes the call safe to repeat: a repeat with the same key (from the same caller) gets the stored answer with `Idempotent-Replayed: true` and is never sent to Sectigo again. 1 to 255 printable ASCII characters, for instance a UUID; kept IDEMPOTENCY_TTL_SECONDS.'
      // No example: Swagger UI would prefill it, and every "Try it out" would reuse one key.
    })
  )
})

/** A path parameter naming an order; the example is a seeded sandbox order, for "Try it out". */
export function OrderNumberParam(name: string, description: string, example: string): TSchema {
  return Type.Object(
    { [name]: Type.String({ pattern: ORDER_NUMBER_PATTERN, description, examples: [example], ...upstream(name) }) },
    { additionalProperties: false }
  )
}

export const DryRunQuery = Type.Object(
  {
    dryRun: Type.Optional(
      StringEnum(['true', 'false'] as const, {
        description: 'With `true`, validate and map the request and answer with the form fields that would be sent, without calling Sectigo.'
      })
    )
  },
  { additionalProperties: false }
)
export type DryRunQuery = Static<typeof DryRunQuery>

export const DryRunResult = Type.Object(
  {
    dryRun: Type.Literal(true),
    endpoint: Type.String({ description: 'The Sectigo endpoint that would be called.', examples: ['!AutoUpdateDCV'] }),
    fields: Type.Record(Type.String(), Type.String(), {
      description: 'The form fields that would be sent, in order, with `loginPassword` shown as `[redacted]`.'
    })
  },
  { $id: 'DryRunResult', description: 'What a call would send, for `?dryRun=true`.' }
)
export type DryRunResult = Static<typeof DryRunResult>
