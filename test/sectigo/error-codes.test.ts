import { describe, expect, it } from 'vitest'
import { PROBLEM_TYPES } from '../../src/problems/problem-types.js'
import { SECTIGO_CODES, codesForSlug, namedArgument, problemForReply } from '../../src/sectigo/error-codes.js'
import type { Endpoint } from '../../src/sectigo/fields.js'
import { parseReply } from '../../src/sectigo/response-parser.js'

const DCV: Endpoint = '!AutoUpdateDCV'
const REPL: Endpoint = '!AutoReplaceMC'

function reply(code: number, message?: string, item?: string) {
  const params = new URLSearchParams({ errorCode: String(code) })
  if (message) params.set('errorMessage', message)
  if (item) params.set('errorItem', item)
  return parseReply(params.toString())
}

describe('error-code table', () => {
  it.each([
    [-1, 'upstream-rejected-request', 502],
    [-2, 'upstream-rejected-request', 502],
    [-7, 'invalid-argument', 422],
    [-14, 'upstream-error', 502],
    [-16, 'upstream-authentication-failed', 502],
    [-17, 'upstream-rejected-request', 502],
    [-36, 'certificate-expired', 409],
    [-42, 'upstream-rate-limited', 503],
    [-47, 'domain-already-validated', 409],
    [-90, 'permission-denied', 403],
    [-91, 'permission-denied', 403],
    [-110, 'invalid-csr', 422],
    [-115, 'no-price-found', 422],
    [-126, 'wildcard-http-dcv-not-allowed', 422],
    [-139, 'unexpected-certificate-state', 409],
    [-160, 'upstream-operation-failed', 502],
    [-161, 'parameter-not-applicable', 422],
    [-162, 'csr-domain-mismatch', 422],
    [-163, 'csr-domain-mismatch', 422],
    [-999, 'upstream-error', 502]
  ])('maps %i to %s (%i)', (code, slug, status) => {
    const problem = problemForReply(REPL, reply(code, 'message from Sectigo'))
    expect(problem.slug).toBe(slug)
    expect(problem.status).toBe(status)
    expect(problem.options.sectigo).toEqual({ errorCode: code, errorMessage: 'message from Sectigo' })
    expect(problem.options.detail).toBe('message from Sectigo')
  })

  it('covers every code on the two pages, and -42', () => {
    const documented = [-1, -2, -3, -4, -7, -14, -16, -17, -36, -42, -47, -90, -91, -110, -115, -126, -139, -160, -161, -162, -163]
    expect(Object.keys(SECTIGO_CODES).map(Number).sort((a, b) => a - b)).toEqual(documented.sort((a, b) => a - b))
    for (const code of documented) {
      const entry = SECTIGO_CODES[code]
      expect(entry, String(code)).toBeDefined()
      if (entry) expect(PROBLEM_TYPES[entry.slug]).toBeDefined()
    }
  })

  it('falls back to the page message when Sectigo sends none', () => {
    expect(problemForReply(DCV, reply(-47)).options.detail).toBe('domainName is already validated!')
  })

  it('lists the codes behind a slug for its documentation page', () => {
    expect(codesForSlug('csr-domain-mismatch')).toEqual([-162, -163])
    expect(codesForSlug('upstream-rejected-request')).toEqual([-1, -2, -3, -4, -17])
    expect(codesForSlug('validation-failed')).toEqual([])
  })
})

describe('the -3/-4 rule', () => {
  it('points at the member behind a caller field named by errorItem', () => {
    const problem = problemForReply(DCV, reply(-4, "The value of the 'domainName' argument is invalid!", 'domainName'))
    expect(problem.status).toBe(422)
    expect(problem.slug).toBe('invalid-argument')
    expect(problem.options.errors).toEqual([{ pointer: '#/domainName', detail: "The value of the 'domainName' argument is invalid!" }])
    expect(problem.options.sectigo?.errorItem).toBe('domainName')
  })

  it('finds the argument quoted in the message when there is no errorItem', () => {
    const problem = problemForReply(REPL, reply(-3, "The 'countryName' argument is missing!"))
    expect(problem.options.errors?.[0]?.pointer).toBe('#/organization/country')
  })

  it('points at the path parameter for orderNumber (unknown or already issued)', () => {
    const problem = problemForReply(DCV, reply(-4, "The value of the 'orderNumber' argument is invalid!"))
    expect(problem.status).toBe(422)
    expect(problem.options.errors).toEqual([{ parameter: 'orderNumber', detail: "The value of the 'orderNumber' argument is invalid!" }])
  })

  it('points joined fields at the list member they come from', () => {
    expect(problemForReply(DCV, reply(-4, 'x', 'newMethods')).options.errors?.[0]?.pointer).toBe('#/domains')
    expect(problemForReply(REPL, reply(-4, 'x', 'checkFONIsUnique')).options.errors?.[0]?.pointer).toBe('#/requireUniqueForeignOrderNumber')
  })

  it('uses the request-specific owner when the mapping knows better', () => {
    const problem = problemForReply(REPL, reply(-4, 'x', 'dcvEmailAddresses'), { dcvEmailAddresses: { kind: 'member', pointer: '#/dcvMethod' } })
    expect(problem.options.errors?.[0]?.pointer).toBe('#/dcvMethod')
  })

  it.each(['loginName', 'loginPassword', 'responseFormat', 'showCertificateState', 'showValidityPeriod', 'showReplOrderNumber'])(
    'blames the service, not the caller, for its own field %s',
    (field) => {
      const problem = problemForReply(REPL, reply(-4, `The value of the '${field}' argument is invalid!`))
      expect(problem.status).toBe(502)
      expect(problem.slug).toBe('upstream-rejected-request')
      expect(problem.options.errors).toBeUndefined()
    }
  )

  it('is a 422 without pointer when no argument is named, or an unknown one', () => {
    for (const r of [reply(-3, 'Something is missing'), reply(-4, "The value of the 'isCustomerValidated' argument is invalid!")]) {
      const problem = problemForReply(DCV, r)
      expect(problem.status).toBe(422)
      expect(problem.options.errors).toBeUndefined()
    }
  })

  it('points -7 at the country member named by errorItem', () => {
    const problem = problemForReply(REPL, reply(-7, "'XX' is not a valid ISO-3166 country!", 'joiCountryName'))
    expect(problem.options.errors?.[0]?.pointer).toBe('#/jurisdiction/country')
  })

  it('reads quoted names whatever the quotes', () => {
    expect(namedArgument({ errorMessage: 'Permission denied for using “voucher” with ‘x’' })).toBe('voucher')
    expect(namedArgument({ errorMessage: 'no quotes' })).toBeUndefined()
  })
})
