import { ProblemError, type ProblemFieldError } from '../problems/problem-error.js'
import type { ProblemSlug } from '../problems/problem-types.js'
import { fieldSpec, type Endpoint, type FieldOwner } from './fields.js'
import type { SectigoReply } from './response-parser.js'

export interface SectigoCode {
  /** The problem the code maps to; `-3`/`-4` are decided per argument (see `problemForReply`). */
  slug: ProblemSlug
  /** The pages' message, for the documentation. */
  message: string
  endpoints: readonly Endpoint[]
  /** Sectigo did nothing and asks to be called again later: the answer is not final. */
  invitesRetry?: true
}

const DCV: Endpoint = '!AutoUpdateDCV'
const REPL: Endpoint = '!AutoReplaceMC'
const LIST: Endpoint = '!GetDCVEmailAddressList'
const RESEND: Endpoint = '!ResendDCVEmail'
const DETAILS: Endpoint = '!GetMDCDomainDetails'
const STATUS: Endpoint = '!GetDetailedOrderStatus'
/** The codes every page of the legacy API lists (docs/sectigo-protocol.md, "Error codes"). */
const ALL: readonly Endpoint[] = [DCV, REPL, LIST, RESEND, DETAILS, STATUS]

/** Every code on the six pages, plus -42 (documented for other endpoints of the same API). */
export const SECTIGO_CODES: Readonly<Record<number, SectigoCode>> = {
  [-1]: { slug: 'upstream-rejected-request', message: 'Request was not made over https!', endpoints: ALL },
  [-2]: { slug: 'upstream-rejected-request', message: "'xxxx' is an unrecognized argument!", endpoints: ALL },
  [-3]: { slug: 'invalid-argument', message: "The 'xxxx' argument is missing!", endpoints: ALL },
  [-4]: { slug: 'invalid-argument', message: "The value of the 'xxxx' argument is invalid!", endpoints: ALL },
  [-7]: { slug: 'invalid-argument', message: "'xx' is not a valid ISO-3166 country!", endpoints: [REPL] },
  [-14]: { slug: 'upstream-error', message: 'An unknown error occurred!', endpoints: ALL },
  [-16]: {
    slug: 'upstream-authentication-failed',
    message: 'Incorrect login details, account is locked, password has expired or your source IP is blocked.',
    endpoints: ALL
  },
  [-17]: { slug: 'upstream-rejected-request', message: 'Request used GET rather than POST!', endpoints: ALL },
  [-36]: { slug: 'certificate-expired', message: 'The certificate has already expired!', endpoints: [REPL] },
  [-42]: { slug: 'upstream-rate-limited', message: 'Call limit reached, please try again later', endpoints: ALL, invitesRetry: true },
  [-47]: { slug: 'domain-already-validated', message: 'domainName is already validated!', endpoints: [DCV] },
  [-90]: { slug: 'permission-denied', message: "Permission denied for using 'voucher' with 'xxxx'", endpoints: [DCV, REPL] },
  [-91]: { slug: 'permission-denied', message: "Permission denied! 'xxxx'", endpoints: [REPL] },
  [-110]: { slug: 'invalid-csr', message: 'CSR decoding Internal Error', endpoints: [REPL] },
  [-115]: { slug: 'no-price-found', message: "No price found for 'xxxx'", endpoints: [REPL] },
  [-126]: {
    slug: 'wildcard-http-dcv-not-allowed',
    message: 'HTTP(S) CSR Hash DCV Methods are not allowed to validate Wildcard Domain!',
    endpoints: [DCV]
  },
  [-139]: { slug: 'unexpected-certificate-state', message: 'Unexpected certificate state!', endpoints: [DCV] },
  [-160]: {
    slug: 'upstream-operation-failed',
    message: 'The attempt to update the DCV method(s) did not succeed. / Failed to replace order #xxxx.',
    endpoints: [DCV, REPL]
  },
  [-161]: {
    slug: 'parameter-not-applicable',
    message: "Parameter 'xxxx' is not applicable to this type of product!",
    endpoints: [REPL]
  },
  [-162]: {
    slug: 'csr-domain-mismatch',
    message: 'The CSR must not contain domain names that are not in the "domainNames" parameter!',
    endpoints: [REPL]
  },
  [-163]: {
    slug: 'csr-domain-mismatch',
    message: 'The CSR must not contain domain names that are not in the list of certificate domain names!',
    endpoints: [REPL]
  }
}

/** Sectigo's answer changed nothing and invites a retry, so it must not be kept under an Idempotency-Key. */
export function invitesRetry(code: number | undefined): boolean {
  return code !== undefined && SECTIGO_CODES[code]?.invitesRetry === true
}

/** Codes whose argument decides between the caller's fault (422) and the service's (502). */
const ARGUMENT_CODES = new Set([-3, -4])

/** The codes behind a slug, for its documentation page (-3/-4 stand under two slugs). */
export function codesForSlug(slug: ProblemSlug): number[] {
  return Object.entries(SECTIGO_CODES)
    .filter(([code, c]) => c.slug === slug || (slug === 'upstream-rejected-request' && ARGUMENT_CODES.has(Number(code))))
    .map(([code]) => Number(code))
    .sort((a, b) => b - a)
}

/** Where the caller's request put a field, when the mapping knows better than the table (`dcvMethod`). */
export type OwnerOverrides = Readonly<Record<string, FieldOwner>>

/** The argument a reply names: `errorItem`, else the first quoted name in the message. */
export function namedArgument(reply: Pick<SectigoReply, 'errorItem' | 'errorMessage'>): string | undefined {
  if (reply.errorItem) return reply.errorItem
  const quoted = reply.errorMessage?.match(/['"‘’“”]([A-Za-z][A-Za-z0-9_]*)['"‘’“”]/)
  return quoted?.[1]
}

function ownerOf(endpoint: Endpoint, name: string, overrides: OwnerOverrides): FieldOwner | undefined {
  if (Object.hasOwn(overrides, name)) return overrides[name]
  return fieldSpec(endpoint, name)?.owner
}

function fieldError(owner: FieldOwner, detail: string): ProblemFieldError[] {
  if (owner.kind === 'member') return [{ pointer: owner.pointer, detail }]
  if (owner.kind === 'parameter') return [{ parameter: owner.name, detail }]
  return []
}

/** The problem for a reply with a negative code. */
export function problemForReply(endpoint: Endpoint, reply: SectigoReply, overrides: OwnerOverrides = {}): ProblemError {
  const code = reply.errorCode
  const known = SECTIGO_CODES[code]
  const sectigo = {
    errorCode: code,
    ...(reply.errorMessage !== undefined ? { errorMessage: reply.errorMessage } : {}),
    ...(reply.errorItem !== undefined ? { errorItem: reply.errorItem } : {}),
    ...(reply.errorDetail !== undefined ? { errorDetail: reply.errorDetail } : {})
  }
  const detail = reply.errorMessage || known?.message || `Sectigo answered error code ${code}.`
  const argument = namedArgument(reply)
  const owner = argument === undefined ? undefined : ownerOf(endpoint, argument, overrides)

  if (ARGUMENT_CODES.has(code)) {
    if (owner?.kind === 'service') return new ProblemError('upstream-rejected-request', { detail, sectigo })
    return new ProblemError('invalid-argument', {
      detail,
      sectigo,
      ...(owner ? { errors: fieldError(owner, detail) } : {})
    })
  }

  const slug: ProblemSlug = known?.slug ?? 'upstream-error'
  const errors = owner && owner.kind !== 'service' ? fieldError(owner, detail) : []
  return new ProblemError(slug, { detail, sectigo, ...(errors.length > 0 ? { errors } : {}) })
}
