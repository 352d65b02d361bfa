import type { ResendRequest, ResendResult } from '../schemas/dcv-workflow.js'
import type { DcvTarget } from './dcv-form.js'
import type { OwnerOverrides } from './error-codes.js'
import { RESEND_FIELDS as F } from './fields.js'
import type { FormFields } from './form-encoder.js'

/** The exact ResendDCVEmail fields for a validated body (credentials are added by the client). */
export function resendForm(target: DcvTarget, body: ResendRequest): FormFields {
  const fields: Array<[string, string]> = [[F[target.kind].name, target.value]]
  if (body.email !== undefined) fields.push([F.dcvEmailAddress.name, body.email])
  if (body.dcvTemplateId !== undefined) fields.push([F.dcvTemplateID.name, String(body.dcvTemplateId)])
  return fields
}

/** On the base-order route, Sectigo's complaints about `orderNumber` concern the path's base order. */
export function resendOwnerOverrides(target: DcvTarget): OwnerOverrides {
  return target.kind === 'baseOrderNumber' ? { [F.orderNumber.name]: { kind: 'parameter', name: 'baseOrderNumber' } } : {}
}

export function resendResult(target: DcvTarget, body: ResendRequest): ResendResult {
  return {
    [target.kind]: target.value,
    ...(body.email === undefined ? {} : { email: body.email }),
    ...(body.dcvTemplateId === undefined ? {} : { dcvTemplateId: body.dcvTemplateId })
  }
}
