import type { ReplacementRequest } from '../schemas/replacement.js'
import { valueAt } from '../util/json-pointer.js'
import type { OwnerOverrides } from './error-codes.js'
import {
  FLAG_VALUES,
  REPLACEMENT_ALL_TOKENS,
  REPLACEMENT_DCV_TOKENS,
  REPLACEMENT_FIELDS as R,
  REPLACEMENT_FIXED_FIELDS,
  type ReplacementFieldName
} from './fields.js'
import type { FormFields } from './form-encoder.js'

/** The `dcvEmailAddresses` value: per-domain e-mails and tokens, or the one `ALL…` token. */
function dcvValue(body: ReplacementRequest): string | undefined {
  if (body.dcvMethod !== undefined) return REPLACEMENT_ALL_TOKENS[body.dcvMethod]
  const values: string[] = []
  for (const { method, email } of body.domains ?? []) {
    // Methods are given for every domain or for none (checked before mapping).
    if (method === undefined) return undefined
    values.push(method === 'EMAIL' ? (email ?? '') : REPLACEMENT_DCV_TOKENS[method])
  }
  return values.length > 0 ? values.join(R.dcvEmailAddresses.separator) : undefined
}

/**
 * The exact AutoReplaceMC fields for a validated body, in the table's order: members that are
 * absent are not sent at all; the fixed fields make the reply URL-encoded and complete.
 * Credentials are added by the client.
 */
export function replacementForm(orderNumber: string, body: ReplacementRequest): FormFields {
  const fields: Array<[string, string]> = []
  for (const [key, spec] of Object.entries(R) as Array<[ReplacementFieldName, (typeof R)[ReplacementFieldName]]>) {
    if (key === 'orderNumber') fields.push([spec.name, orderNumber])
    else if (key === 'domainNames') {
      if (body.domains) fields.push([spec.name, body.domains.map((d) => d.domainName).join(spec.separator)])
    } else if (key === 'dcvEmailAddresses') {
      const value = dcvValue(body)
      if (value !== undefined) fields.push([spec.name, value])
    } else if (spec.owner.kind === 'member') {
      const value = valueAt(body, spec.owner.pointer)
      if (spec.kind === 'flag' && typeof value === 'boolean') fields.push([spec.name, FLAG_VALUES[`${value}`]])
      else if (spec.kind === 'text' && typeof value === 'string') fields.push([spec.name, value])
    }
  }
  for (const [key, value] of REPLACEMENT_FIXED_FIELDS) fields.push([R[key].name, value])
  return fields
}

/** With `dcvMethod`, Sectigo's complaints about `dcvEmailAddresses` concern that member. */
export function replacementOwnerOverrides(body: ReplacementRequest): OwnerOverrides {
  return body.dcvMethod !== undefined ? { [R.dcvEmailAddresses.name]: { kind: 'member', pointer: '#/dcvMethod' } } : {}
}
