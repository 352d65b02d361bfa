import { ProblemError } from '../problems/problem-error.js'
import type { OwnerOverrides } from './error-codes.js'
import { FIELDS_BY_ENDPOINT, type Endpoint } from './fields.js'
import type { FormFields } from './form-encoder.js'

/**
 * Refuses (400) a mapped field longer than the page allows: this is where joined lists such as
 * `domainNames` meet their limit, which no single member can show. Sectigo counts characters.
 */
export function assertFieldLengths(endpoint: Endpoint, fields: FormFields, overrides: OwnerOverrides = {}): void {
  const table = Object.values(FIELDS_BY_ENDPOINT[endpoint])
  for (const [name, value] of fields) {
    const spec = table.find((f) => f.name === name)
    if (spec?.maxLength === undefined || [...value].length <= spec.maxLength) continue
    const owner = overrides[name] ?? spec.owner
    const pointer = owner.kind === 'member' ? owner.pointer : '#'
    const detail = `makes ${name} ${[...value].length} characters long; Sectigo accepts at most ${spec.maxLength}`
    throw new ProblemError('validation-failed', { detail: `${pointer} ${detail}`, errors: [{ pointer, detail }] })
  }
}
