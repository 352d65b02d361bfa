// The package's entry without its 80 locale files (its browser entry): the codes are all the rules need.
import countries from 'i18n-iso-countries/index.js'
import { CsrDecodeError, decodeCsr, type DecodedCsr } from '../csr/decode-csr.js'
import { ProblemError } from '../problems/problem-error.js'
import type { ReplacementRequest } from '../schemas/replacement.js'
import { REPLACEMENT_FIELDS as R, type FieldSpec } from '../sectigo/fields.js'
import { valueAt } from '../util/json-pointer.js'
import { invalidArgument, uniqueDomainNames, validationProblem } from './common-rules.js'

const COUNTRY_FIELDS: readonly FieldSpec[] = [R.countryName, R.joiCountryName, R.appRepCountryName, R.trademarkCountryName]

/**
 * `+` or `/` (base64) and `-` or `_` (base64url) in one value; the schema allows all four. A search
 * for one character is a memchr, where a regular expression for a class walked all 30,000
 * characters of a logo that has neither (30 µs).
 */
const MIXES_ALPHABETS = (text: string): boolean => (text.includes('+') || text.includes('/')) && (text.includes('-') || text.includes('_'))

function pointerOf(spec: FieldSpec): string {
  return spec.owner.kind === 'member' ? spec.owner.pointer : '#'
}

export interface CheckedReplacement {
  /** The decoded CSR, when the request carried one. */
  csr?: DecodedCsr
}

/**
 * The rules of a replacement body that JSON Schema cannot state (400), then the semantic twins
 * of Sectigo's -7, -4, -110 and -162 (422): all before any call.
 */
export function checkReplacementRequest(body: ReplacementRequest): CheckedReplacement {
  const domains = body.domains ?? []

  if (body.markLogo !== undefined && MIXES_ALPHABETS(body.markLogo)) {
    throw validationProblem(pointerOf(R.markLogo), 'must use only the base64 or the base64url alphabet, not both')
  }

  const seen = uniqueDomainNames(domains.map((d) => d.domainName))
  const withMethod = domains.filter((d) => d.method !== undefined).length
  if (withMethod > 0 && withMethod < domains.length) {
    const i = domains.findIndex((d) => d.method === undefined)
    throw validationProblem(`#/domains/${i}/method`, 'is required: give a method for every domain or for none')
  }
  if (body.dcvMethod !== undefined && withMethod > 0) {
    throw validationProblem('#/dcvMethod', 'cannot be combined with per-domain methods in domains')
  }
  for (const spec of COUNTRY_FIELDS) {
    const value = valueAt(body, pointerOf(spec))
    if (typeof value === 'string' && !countries.isValid(value)) {
      throw invalidArgument(pointerOf(spec), `'${value}' is not an assigned ISO 3166-1 alpha-2 country code`)
    }
  }
  const date = body.organization?.dateOfIncorporation
  if (date !== undefined && !isRealDate(date)) {
    throw invalidArgument(pointerOf(R.dateOfIncorporation), `${date} is not a date that exists`)
  }

  let csr: DecodedCsr | undefined
  if (body.csr !== undefined) {
    try {
      csr = decodeCsr(body.csr)
    } catch (err) {
      if (!(err instanceof CsrDecodeError)) throw err
      const detail = `The CSR cannot be decoded: ${err.reason}.`
      throw new ProblemError('invalid-csr', { detail, errors: [{ pointer: '#/csr', detail: err.reason }] })
    }
    if (domains.length > 0) {
      const allowed = new Set(domains.map((d) => d.domainName.toLowerCase()))
      const outside = csr.names.filter((n) => !allowed.has(n))
      if (outside.length > 0) {
        const detail = `The CSR names ${outside.join(', ')}, which ${outside.length === 1 ? 'is' : 'are'} not in domains.`
        throw new ProblemError('csr-domain-mismatch', { detail, errors: [{ pointer: '#/csr', detail }] })
      }
    }
  }

  const priorUse = body.logoPriorUseDomainName
  if (priorUse !== undefined && domains.length > 0 && !seen.has(priorUse.toLowerCase())) {
    throw invalidArgument(pointerOf(R.logoPriorUseDomainName), `${priorUse} is not one of domains`)
  }

  return csr ? { csr } : {}
}

function isRealDate(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number]
  const date = new Date(Date.UTC(y, m - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}
