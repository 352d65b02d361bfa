import { ProblemError } from '../problems/problem-error.js'
import { uniqueDomainNames } from './common-rules.js'
import { isMulti, type DcvRequest } from '../schemas/dcv.js'
import { HTTP_CSR_HASH_METHODS, type DcvMethod } from '../sectigo/fields.js'

/**
 * The rules of a DCV body that JSON Schema cannot state (400), then the semantic twin of
 * Sectigo's -126 (422): all checked before any call. Joined lengths are checked on the mapped
 * fields (field-lengths.ts).
 */
export function checkDcvRequest(body: DcvRequest): void {
  if (isMulti(body)) {
    uniqueDomainNames(body.domains.map((d) => d.domainName))
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

const SINGLE_MEMBERS = ['method', 'domainName', 'email'] as const

/**
 * Before schema validation, the two mistakes the schema would describe badly: no body at all
 * (the schema would say "must be object"), and both body shapes at once (it would say that
 * `domains` is not allowed).
 */
export function checkDcvBodyShape(body: unknown): void {
  if (body === undefined) {
    const detail = 'A body is required: a JSON object with `method` (one domain) or `domains` (several), sent as Content-Type: application/json.'
    throw new ProblemError('validation-failed', { detail, errors: [{ pointer: '#', detail: 'is required' }] })
  }
  if (body === null || typeof body !== 'object' || !Object.hasOwn(body, 'domains')) return
  const single = SINGLE_MEMBERS.filter((m) => Object.hasOwn(body, m))
  if (single.length === 0) return
  const detail = `#/domains cannot be combined with ${single.join(', ')}: the two body shapes are exclusive; send either one domain (method, domainName, email) or several (domains).`
  throw new ProblemError('validation-failed', {
    detail,
    errors: [{ pointer: '#/domains', detail: `cannot be combined with ${single.join(', ')}: the two body shapes are exclusive` }]
  })
}
