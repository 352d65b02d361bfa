import { isMulti, type DcvRequest, type DcvResult } from '../schemas/dcv.js'
import type { OwnerOverrides } from './error-codes.js'
import { DCV_FIELDS as F } from './fields.js'
import type { FormFields } from './form-encoder.js'

/** Which path parameter names the order: `/orders/{orderNumber}` or `/base-orders/{baseOrderNumber}`. */
export interface DcvTarget {
  kind: 'orderNumber' | 'baseOrderNumber'
  value: string
}

/** The exact AutoUpdateDCV fields for a validated body (credentials are added by the client). */
export function dcvForm(target: DcvTarget, body: DcvRequest): FormFields {
  const fields: Array<[string, string]> = [[F[target.kind].name, target.value]]
  if (isMulti(body)) {
    fields.push([F.domainNames.name, body.domains.map((d) => d.domainName).join(F.domainNames.separator)])
    fields.push([F.newMethods.name, body.domains.map((d) => d.method).join(F.newMethods.separator)])
    // Only the EMAIL entries carry an address, in the order of their domains.
    const emails = body.domains.flatMap((d) => (d.method === 'EMAIL' && d.email !== undefined ? [d.email] : []))
    if (emails.length > 0) fields.push([F.newDCVEmailAddresses.name, emails.join(F.newDCVEmailAddresses.separator)])
  } else {
    if (body.domainName !== undefined) fields.push([F.domainName.name, body.domainName])
    fields.push([F.newMethod.name, body.method])
    if (body.method === 'EMAIL' && body.email !== undefined) fields.push([F.newDCVEmailAddress.name, body.email])
  }
  if (body.dcvTemplateId !== undefined) fields.push([F.dcvTemplateID.name, String(body.dcvTemplateId)])
  return fields
}

/** On the base-order route, Sectigo's complaints about `orderNumber` concern the path's base order. */
export function dcvOwnerOverrides(target: DcvTarget): OwnerOverrides {
  return target.kind === 'baseOrderNumber' ? { [F.orderNumber.name]: { kind: 'parameter', name: 'baseOrderNumber' } } : {}
}

/** The 200 body: what was applied, echoed in the caller's terms. */
export function dcvResult(target: DcvTarget, body: DcvRequest): DcvResult {
  // Members assigned only when present (no conditional spreads: each made an object to copy).
  const domains: DcvResult['domains'] = []
  for (const d of isMulti(body) ? body.domains : [body]) {
    const domain: DcvResult['domains'][number] = { method: d.method }
    if (d.domainName !== undefined) domain.domainName = d.domainName
    if (d.email !== undefined) domain.email = d.email
    domains.push(domain)
  }
  const result = { [target.kind]: target.value, domains } as DcvResult
  if (body.dcvTemplateId !== undefined) result.dcvTemplateId = body.dcvTemplateId
  return result
}
