import { ProblemError } from '../problems/problem-error.js'
import { isMulti, type DcvRequest } from '../schemas/dcv.js'
import { DCV_FIELDS, HTTP_CSR_HASH_METHODS, type DcvMethod } from '../sectigo/fields.js'

/**
 * The rules of a DCV body that JSON Schema cannot state (400), then the semantic twin of
 * Sectigo's -126 (422): all checked before any call.
 */
export function checkDcvRequest(body: DcvRequest): void {
  if (isMulti(body)) {
    const seen = new Map<string, number>()
    body.domains.forEach((d, i) => {
      const key = d.domainName.toLowerCase()
      const first = seen.get(key)
      if (first !== undefined) {
        throw validation(`#/domains/${i}/domainName`, `repeats #/domains/${first}/domainName (names are compared ignoring case)`)
      }
      seen.set(key, i)
    })
    const spaced = (values: string[]) => values.join(' ').length
    if (spaced(body.domains.map((d) => d.domainName)) > (DCV_FIELDS.domainNames.maxLength ?? Infinity)) {
      throw validation('#/domains', `the domain names joined by spaces exceed ${DCV_FIELDS.domainNames.maxLength} characters, Sectigo's limit for domainNames`)
    }
    const emails = body.domains.flatMap((d) => (d.email === undefined ? [] : [d.email]))
    if (spaced(emails) > (DCV_FIELDS.newDCVEmailAddresses.maxLength ?? Infinity)) {
      throw validation('#/domains', `the e-mail addresses joined by spaces exceed ${DCV_FIELDS.newDCVEmailAddresses.maxLength} characters, Sectigo's limit for newDCVEmailAddresses`)
    }
    body.domains.forEach((d, i) => checkWildcard(d.domainName, d.method, `#/domains/${i}/method`))
  } else if (body.domainName !== undefined) {
    checkWildcard(body.domainName, body.method, '#/method')
  }
}

function checkWildcard(domainName: string, method: DcvMethod, pointer: string): void {
  if (domainName.startsWith('*.') && HTTP_CSR_HASH_METHODS.includes(method)) {
    const detail = `${domainName} is a wildcard domain: HTTP(S) CSR hash methods cannot validate it; use EMAIL or CNAME_CSR_HASH.`
    throw new ProblemError('wildcard-http-dcv-not-allowed', { detail, errors: [{ pointer, detail: `${method} cannot validate a wildcard domain` }] })
  }
}

function validation(pointer: string, detail: string): ProblemError {
  return new ProblemError('validation-failed', { detail: `${pointer} ${detail}`, errors: [{ pointer, detail }] })
}
