import { ProblemError } from '../problems/problem-error.js'
import type { OwnerOverrides } from './error-codes.js'
import { fieldSpec, type Endpoint } from './fields.js'
import type { FormFields } from './form-encoder.js'

/**
 * Refuses (400) a mapped field longer than the page allows: this is where joined lists such as
 * `domainNames` meet their limit, which no single member can show. Sectigo counts characters.
 */
export function assertFieldLengths(endpoint: Endpoint, fields: FormFields, overrides: OwnerOverrides = {}): void {
  for (const [name, value] of fields) {
    const spec = fieldSpec(endpoint, name)
    // A string never has more characters than UTF-16 units: only a longer one needs counting.
    if (spec?.maxLength === undefined || value.length <= spec.maxLength) continue
    const length = [...value].length
    if (length <= spec.maxLength) continue
    const owner = overrides[name] ?? spec.owner
    const pointer = owner.kind === 'member' ? owner.pointer : '#'
    const detail = `makes ${name} ${length} characters long; Sectigo accepts at most ${spec.maxLength}`
    throw new ProblemError('validation-failed', { detail: `${pointer} ${detail}`, errors: [{ pointer, detail }] })
  }
}
