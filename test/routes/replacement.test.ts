import { execFileSync } from 'node:child_process'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { makeCsr, type TestCsr } from '../fixtures/csr.js'
import { LOGIN_NAME, LOGIN_PASSWORD, buildTestApp, type TestApp } from '../helpers/test-app.js'
import { expectCall, noPendingCalls } from '../helpers/upstream.js'

let t: TestApp
let csr: TestCsr
beforeAll(async () => {
  csr = await makeCsr({ commonName: 'brand.example', dnsNames: ['brand.example', 'www.brand.example'] })
})
beforeEach(async () => {
  t = await buildTestApp()
})
afterEach(async () => {
  await t.app.close()
})

const URL_ = '/orders/2000001/replacement'
const SUCCESS =
  'errorCode=0&certificateStatus=Pending+Validation&productTermStartDate=1795305600&productTermEndDate=1826841600&productTermDuration=365&replOrderNumber=3000001'
const CREDENTIALS: Array<[string, string]> = [
  ['loginName', LOGIN_NAME],
  ['loginPassword', LOGIN_PASSWORD]
]
const FIXED: Array<[string, string]> = [
  ['responseFormat', '1'],
  ['showCertificateState', 'Y'],
  ['showValidityPeriod', 'Y'],
  ['showReplOrderNumber', 'Y']
]

function post(payload?: unknown, url = URL_) {
  return t.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) })
}

// Hostile values: smuggling attempts, form syntax, percent-escapes, non-ASCII and look-alikes.
// Each member gets its own, cut to the member's maximum length.
const HOSTILE = [
  'A&loginPassword=x',
  'B=C&orderNumber=1',
  '50%26 off %',
  'a+b c++',
  'Müller & Söhne',
  '漢字 株式会社',
  'emoji 😀 ok',
  'Ꭺpple (Cherokee A)',
  'right\u202eto-left',
  "quote' \"dq\" <tag>"
]
let n = 0
const hostile = (max: number) => (HOSTILE[n++ % HOSTILE.length] ?? '').slice(0, max)

function vmcBody() {
  n = 0
  return {
    domains: [
      { domainName: 'brand.example', method: 'CNAME_CSR_HASH' },
      { domainName: 'www.brand.example', method: 'EMAIL', email: "admin+a&b=c'd@brand.example" }
    ],
    csr: csr.pem,
    markLogo: 'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=',
    trademark: { countryName: 'US', office: hostile(255), identifier: hostile(255) },
    organization: {
      name: hostile(64),
      unitName: hostile(64),
      postOfficeBox: hostile(40),
      streetAddress1: hostile(128),
      streetAddress2: hostile(128),
      streetAddress3: hostile(128),
      locality: hostile(128),
      stateOrProvince: hostile(128),
      postalCode: hostile(128),
      country: 'DE',
      dunsNumber: '123456789',
      companyNumber: hostile(64),
      assumedName: hostile(64),
      dateOfIncorporation: '2024-02-29'
    },
    jurisdiction: { locality: hostile(128), stateOrProvince: hostile(128), country: 'GB' },
    applicantRepresentative: {
      forename: hostile(64),
      surname: hostile(64),
      email: 'jane.doe+x@brand.example',
      telephone: '+1 555 0100',
      title: hostile(64),
      fax: '+1 555 0101',
      organization: {
        name: hostile(255),
        unitName: hostile(64),
        streetAddress1: hostile(128),
        streetAddress2: hostile(128),
        streetAddress3: hostile(128),
        postOfficeBox: hostile(128),
        locality: hostile(128),
        stateOrProvince: hostile(128),
        postalCode: hostile(40),
        country: 'FR'
      }
    },
    foreignOrderNumber: hostile(64),
    requireUniqueForeignOrderNumber: true,
    ignoreLateOrgDetailsChanges: false,
    updateOrgDetails: true,
    logoHostedByCA: false
  }
}

describe('AutoReplaceMC fields, field by field', () => {
  it('a full VMC body: every member in its field, hostile text carried exactly', async () => {
    const body = vmcBody()
    const call = expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await post(body)
    expect(res.statusCode).toBe(200)
    const o = body.organization
    const r = body.applicantRepresentative
    expect(call.fields()).toEqual([
      ...CREDENTIALS,
      ['orderNumber', '2000001'],
      ['domainNames', 'brand.example,www.brand.example'],
      ['dcvEmailAddresses', "CNAMECSRHASH,admin+a&b=c'd@brand.example"],
      ['csr', csr.pem],
      ['markLogo', body.markLogo],
      ['trademarkCountryName', 'US'],
      ['trademarkOffice', body.trademark.office],
      ['trademarkIdentifier', body.trademark.identifier],
      ['organizationName', o.name],
      ['organizationalUnitName', o.unitName],
      ['postOfficeBox', o.postOfficeBox],
      ['streetAddress1', o.streetAddress1],
      ['streetAddress2', o.streetAddress2],
      ['streetAddress3', o.streetAddress3],
      ['localityName', o.locality],
      ['stateOrProvinceName', o.stateOrProvince],
      ['postalCode', o.postalCode],
      ['countryName', 'DE'],
      ['dunsNumber', '123456789'],
      ['companyNumber', o.companyNumber],
      ['assumedName', o.assumedName],
      ['dateOfIncorporation', '2024-02-29'],
      ['joiLocalityName', body.jurisdiction.locality],
      ['joiStateOrProvinceName', body.jurisdiction.stateOrProvince],
      ['joiCountryName', 'GB'],
      ['foreignOrderNumber', body.foreignOrderNumber],
      ['checkFONIsUnique', 'Y'],
      ['appRepForename', r.forename],
      ['appRepSurname', r.surname],
      ['appRepEmailAddress', r.email],
      ['appRepTelephone', r.telephone],
      ['appRepTitle', r.title],
      ['appRepFax', r.fax],
      ['appRepOrganizationName', r.organization.name],
      ['appRepOrganizationalUnitName', r.organization.unitName],
      ['appRepStreetAddress1', r.organization.streetAddress1],
      ['appRepStreetAddress2', r.organization.streetAddress2],
      ['appRepStreetAddress3', r.organization.streetAddress3],
      ['appRepPostOfficeBox', r.organization.postOfficeBox],
      ['appRepLocalityName', r.organization.locality],
      ['appRepStateOrProvinceName', r.organization.stateOrProvince],
      ['appRepPostalCode', r.organization.postalCode],
      ['appRepCountryName', 'FR'],
      ['ignoreLateOrgDetailsChanges', 'N'],
      ['updateOrgDetails', 'Y'],
      ['logoHostedByCA', 'N'],
      ...FIXED
    ])
    // Nothing the caller wrote escaped its field: the service's own fields appear once each.
    const names = call.fields().map(([name]) => name)
    for (const owned of ['loginName', 'loginPassword', 'orderNumber', 'responseFormat', 'showCertificateState']) {
      expect(names.filter((x) => x === owned)).toHaveLength(1)
    }
    noPendingCalls(t.agent)
  })

  it('a CMC body: prior-use domain, logo, ALL token, no trademark', async () => {
    const call = expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await post(
      {
        domains: [{ domainName: 'mark.example' }, { domainName: 'shop.mark.example' }],
        dcvMethod: 'HTTPS_CSR_HASH',
        logoPriorUseDomainName: 'shop.mark.example',
        markLogo: 'PHN2Zy8-_w',
        organization: { name: 'Mark Co', country: 'NL' }
      },
      '/orders/2000002/replacement'
    )
    expect(res.statusCode).toBe(200)
    expect(call.fields()).toEqual([
      ...CREDENTIALS,
      ['orderNumber', '2000002'],
      ['domainNames', 'mark.example,shop.mark.example'],
      ['dcvEmailAddresses', 'ALLHTTPSCSRHASH'],
      ['markLogo', 'PHN2Zy8-_w'],
      ['logoPriorUseDomainName', 'shop.mark.example'],
      ['organizationName', 'Mark Co'],
      ['countryName', 'NL'],
      ...FIXED
    ])
  })

  it.each([
    ['HTTP_CSR_HASH', 'ALLHTTPCSRHASH'],
    ['HTTPS_CSR_HASH', 'ALLHTTPSCSRHASH'],
    ['CNAME_CSR_HASH', 'ALLCNAMECSRHASH']
  ])('dcvMethod %s alone sends the magic token %s', async (dcvMethod, token) => {
    const call = expectCall(t, '!AutoReplaceMC', SUCCESS)
    await post({ dcvMethod })
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '2000001'], ['dcvEmailAddresses', token], ...FIXED])
  })

  it('per-domain methods become tokens and e-mails, in order', async () => {
    const call = expectCall(t, '!AutoReplaceMC', SUCCESS)
    await post({
      domains: [
        { domainName: 'a.brand.example', method: 'HTTP_CSR_HASH' },
        { domainName: 'b.brand.example', method: 'EMAIL', email: 'admin@brand.example' },
        { domainName: 'c.brand.example', method: 'HTTPS_CSR_HASH' },
        { domainName: 'd.brand.example', method: 'CNAME_CSR_HASH' }
      ]
    })
    expect(call.fields()).toContainEqual(['dcvEmailAddresses', 'HTTPCSRHASH,admin@brand.example,HTTPSCSRHASH,CNAMECSRHASH'])
  })

  it('domains without methods send domainNames only: Sectigo keeps the methods', async () => {
    const call = expectCall(t, '!AutoReplaceMC', SUCCESS)
    await post({ domains: [{ domainName: 'brand.example' }] })
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '2000001'], ['domainNames', 'brand.example'], ...FIXED])
  })

  it.each([
    ['no body', undefined, undefined],
    ['the empty object', {}, undefined],
    ['an empty JSON body', undefined, 'application/json']
  ])('%s replaces with the original data: only the fixed fields', async (_name, payload, type) => {
    const call = expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await t.app.inject({
      method: 'POST',
      url: URL_,
      ...(payload === undefined ? {} : { payload }),
      ...(type ? { headers: { 'content-type': type } } : {})
    })
    expect(res.statusCode).toBe(200)
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '2000001'], ...FIXED])
  })

  it.each([
    ['PEM', () => csr.pem],
    ['PEM with CRLF', () => csr.pem.replace(/\n/g, '\r\n')],
    ['base64 lines without header', () => csr.pem.split('\n').filter((l) => !l.startsWith('-----')).join('\n')],
    ['bare base64', () => csr.base64]
  ])('forwards a valid CSR as %s exactly as sent', async (_name, value) => {
    const call = expectCall(t, '!AutoReplaceMC', SUCCESS)
    await post({ csr: value() })
    expect(call.fields()).toContainEqual(['csr', value()])
  })

  it('maps false flags to N', async () => {
    const call = expectCall(t, '!AutoReplaceMC', SUCCESS)
    await post({ requireUniqueForeignOrderNumber: false, updateOrgDetails: false, logoHostedByCA: true })
    expect(call.fields()).toEqual([
      ...CREDENTIALS,
      ['orderNumber', '2000001'],
      ['checkFONIsUnique', 'N'],
      ['updateOrgDetails', 'N'],
      ['logoHostedByCA', 'Y'],
      ...FIXED
    ])
  })

  it('answers ?dryRun=true with the fields and the password redacted, calling nothing', async () => {
    const res = await post({ dcvMethod: 'CNAME_CSR_HASH' }, `${URL_}?dryRun=true`)
    expect(res.json()).toEqual({
      dryRun: true,
      endpoint: '!AutoReplaceMC',
      fields: {
        loginName: LOGIN_NAME,
        loginPassword: '[redacted]',
        orderNumber: '2000001',
        dcvEmailAddresses: 'ALLCNAMECSRHASH',
        responseFormat: '1',
        showCertificateState: 'Y',
        showValidityPeriod: 'Y',
        showReplOrderNumber: 'Y'
      }
    })
    noPendingCalls(t.agent)
  })
})

describe('success replies', () => {
  it('maps the URL-encoded reply, UNIX times to RFC 3339 UTC', async () => {
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    expect((await post({})).json()).toEqual({
      orderNumber: '2000001',
      replacementOrderNumber: '3000001',
      certificateStatus: 'Pending Validation',
      productTerm: { start: '2026-11-22T00:00:00Z', end: '2027-11-22T00:00:00Z', durationDays: 365 }
    })
  })

  it('maps the newline reply (CRLF) to the same body, without the duration it lacks', async () => {
    expectCall(t, '!AutoReplaceMC', '0\r\nPending Validation\r\n1795305600 1826841600\r\n3000001\r\n')
    expect((await post({})).json()).toEqual({
      orderNumber: '2000001',
      replacementOrderNumber: '3000001',
      certificateStatus: 'Pending Validation',
      productTerm: { start: '2026-11-22T00:00:00Z', end: '2027-11-22T00:00:00Z' }
    })
  })

  it('leaves out what Sectigo did not return', async () => {
    expectCall(t, '!AutoReplaceMC', 'errorCode=0')
    expect((await post({})).json()).toEqual({ orderNumber: '2000001' })
  })
})

describe('DCV instructions', () => {
  function opensslHex(digest: 'md5' | 'sha256'): string {
    const der = execFileSync('openssl', ['req', '-outform', 'DER'], { input: csr.pem })
    const out = execFileSync('openssl', ['dgst', `-${digest}`, '-hex'], { input: der }).toString()
    return (out.split('= ')[1] ?? '').trim().toUpperCase()
  }

  it('gives the CNAME and HTTP(S) files per CSR-hash domain, with hashes over the DER bytes', async () => {
    const md5 = opensslHex('md5')
    const sha = opensslHex('sha256')
    expect(md5).toMatch(/^[0-9A-F]{32}$/)
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await post({
      csr: csr.pem,
      domains: [
        { domainName: 'brand.example', method: 'CNAME_CSR_HASH' },
        { domainName: 'www.brand.example', method: 'HTTP_CSR_HASH' }
      ]
    })
    expect(res.json().dcvInstructions).toEqual([
      { domainName: 'brand.example', method: 'CNAME_CSR_HASH', cname: { name: `_${md5}.brand.example`, target: `${sha.slice(0, 32)}.${sha.slice(32)}.sectigo.com` } },
      {
        domainName: 'www.brand.example',
        method: 'HTTP_CSR_HASH',
        file: { url: `http://www.brand.example/.well-known/pki-validation/${md5}.txt`, content: `${sha}\nsectigo.com` }
      }
    ])
  })

  it('covers every domain through dcvMethod, and HTTPS uses its own scheme', async () => {
    const md5 = opensslHex('md5')
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await post({ csr: csr.base64, dcvMethod: 'HTTPS_CSR_HASH', domains: [{ domainName: 'brand.example' }, { domainName: 'www.brand.example' }] })
    expect(res.json().dcvInstructions.map((i: { file: { url: string } }) => i.file.url)).toEqual([
      `https://brand.example/.well-known/pki-validation/${md5}.txt`,
      `https://www.brand.example/.well-known/pki-validation/${md5}.txt`
    ])
  })

  it('is absent without a csr, for EMAIL domains, and without domains', async () => {
    for (const body of [
      { domains: [{ domainName: 'brand.example', method: 'CNAME_CSR_HASH' }] },
      { csr: csr.pem, domains: [{ domainName: 'brand.example', method: 'EMAIL', email: 'admin@brand.example' }, { domainName: 'www.brand.example', method: 'EMAIL', email: 'admin@brand.example' }] },
      { csr: csr.pem, dcvMethod: 'CNAME_CSR_HASH' }
    ]) {
      expectCall(t, '!AutoReplaceMC', SUCCESS)
      const res = await post(body)
      expect(res.statusCode).toBe(200)
      expect(res.json().dcvInstructions).toBeUndefined()
    }
  })
})

describe('validation before any call', () => {
  it.each([
    ['an unknown member', { isCustomerValidated: 'N' }, '#/isCustomerValidated'],
    ['an unknown nested member', { organization: { fax: '1' } }, '#/organization/fax'],
    ['a lower-case country', { organization: { country: 'us' } }, '#/organization/country'],
    ['a date in another format', { organization: { dateOfIncorporation: '01/02/2020' } }, '#/organization/dateOfIncorporation'],
    ['a DUNS of eight digits', { organization: { dunsNumber: '12345678' } }, '#/organization/dunsNumber'],
    ['a logo outside base64', { markLogo: 'PHN2Zy!!' }, '#/markLogo'],
    ['a logo mixing the base64 and base64url alphabets', { markLogo: 'PHN2Zy8+_w' }, '#/markLogo'],
    ['a logo with padding inside', { markLogo: 'PH==N2Zy' }, '#/markLogo'],
    ['an organization name over 64', { organization: { name: 'x'.repeat(65) } }, '#/organization/name'],
    ['a post office box over 40', { organization: { postOfficeBox: 'x'.repeat(41) } }, '#/organization/postOfficeBox'],
    ['a representative PO box over 128', { applicantRepresentative: { organization: { name: 'x', postOfficeBox: 'x'.repeat(129) } } }, '#/applicantRepresentative/organization/postOfficeBox'],
    ['a representative organization without name', { applicantRepresentative: { organization: { locality: 'x' } } }, '#/applicantRepresentative/organization/name'],
    ['a flag as a string', { updateOrgDetails: 'Y' }, '#/updateOrgDetails'],
    ['a CR in free text', { organization: { name: 'a\rb' } }, '#/organization/name'],
    ['a NUL in free text', { foreignOrderNumber: 'a\u0000b' }, '#/foreignOrderNumber'],
    ['DEL in free text', { organization: { locality: 'a\u007fb' } }, '#/organization/locality'],
    ['a tab in the CSR', { csr: 'MIIB\tAA' }, '#/csr'],
    ['a method for some domains only', { domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH' }, { domainName: 'b.example.com' }] }, '#/domains/1/method'],
    ['dcvMethod with per-domain methods', { dcvMethod: 'CNAME_CSR_HASH', domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH' }] }, '#/dcvMethod'],
    ['dcvMethod EMAIL', { dcvMethod: 'EMAIL' }, '#/dcvMethod'],
    ['a duplicate domain', { domains: [{ domainName: 'a.example.com' }, { domainName: 'A.EXAMPLE.COM' }] }, '#/domains/1/domainName'],
    ['an empty organization', { organization: {} }, '#/organization']
  ])('refuses %s with 400 pointing at %s', async (_name, payload, pointer) => {
    const res = await post(payload)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ type: '/problems/validation-failed', errors: [{ pointer }] })
    noPendingCalls(t.agent)
  })

  it.each([
    ['an unassigned country', { organization: { country: 'XX' } }, 'invalid-argument', '#/organization/country'],
    ['an unassigned trademark country', { trademark: { countryName: 'UK' } }, 'invalid-argument', '#/trademark/countryName'],
    ['an unassigned jurisdiction', { jurisdiction: { country: 'QQ' } }, 'invalid-argument', '#/jurisdiction/country'],
    ['an unassigned representative country', { applicantRepresentative: { organization: { name: 'x', country: 'ZZ' } } }, 'invalid-argument', '#/applicantRepresentative/organization/country'],
    ['a date that does not exist', { organization: { dateOfIncorporation: '2023-02-30' } }, 'invalid-argument', '#/organization/dateOfIncorporation'],
    ['a CSR that does not decode', { csr: 'bm90IGEgY3Ny' }, 'invalid-csr', '#/csr'],
    ['a CSR that is not whole base64', { csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAA\n-----END CERTIFICATE REQUEST-----' }, 'invalid-csr', '#/csr'],
    ['a prior-use domain outside domains', { domains: [{ domainName: 'mark.example' }], logoPriorUseDomainName: 'other.example' }, 'invalid-argument', '#/logoPriorUseDomainName']
  ])('answers %s with 422 %s before any call', async (_name, payload, slug, pointer) => {
    const res = await post(payload)
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ type: `/problems/${slug}`, errors: [{ pointer }] })
    noPendingCalls(t.agent)
  })

  it('answers a CSR naming a domain outside domains with 422 csr-domain-mismatch', async () => {
    const res = await post({ csr: csr.pem, domains: [{ domainName: 'brand.example' }] })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ type: '/problems/csr-domain-mismatch', errors: [{ pointer: '#/csr' }] })
    expect(res.json().detail).toMatch(/www\.brand\.example/)
  })

  it('accepts a CSR whose names match domains ignoring case', async () => {
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await post({ csr: csr.pem, domains: [{ domainName: 'BRAND.example' }, { domainName: 'www.brand.EXAMPLE' }] })
    expect(res.statusCode).toBe(200)
  })
})

describe('Sectigo error codes', () => {
  const reply = (code: number, message: string, item?: string) =>
    new URLSearchParams({ errorCode: String(code), errorMessage: message, ...(item ? { errorItem: item } : {}) }).toString()

  it.each([
    [-1, 'Request was not made over https!', undefined, 502, 'upstream-rejected-request'],
    [-2, 'Unrecognised argument!', undefined, 502, 'upstream-rejected-request'],
    [-7, "'XK' is not a valid ISO-3166 country!", 'countryName', 422, 'invalid-argument'],
    [-14, 'An unknown error occurred!', undefined, 502, 'upstream-error'],
    [-16, 'Incorrect login details, account is locked, password has expired or your source IP is blocked.', undefined, 502, 'upstream-authentication-failed'],
    [-17, 'Request used GET rather than POST!', undefined, 502, 'upstream-rejected-request'],
    [-36, 'The certificate has already expired!', undefined, 409, 'certificate-expired'],
    [-42, 'Call limit reached, please try again later', undefined, 503, 'upstream-rate-limited'],
    [-90, 'Permission denied for using “voucher” with 2000005', undefined, 403, 'permission-denied'],
    [-91, "Permission denied! '2000006'", undefined, 403, 'permission-denied'],
    [-110, 'CSR decoding Internal Error', undefined, 422, 'invalid-csr'],
    [-115, "No price found for '2000004'", undefined, 422, 'no-price-found'],
    [-160, 'Failed to replace order #2000001.', undefined, 502, 'upstream-operation-failed'],
    [-161, "Parameter 'trademarkOffice' is not applicable to this type of product!", undefined, 422, 'parameter-not-applicable'],
    [-162, 'The CSR must not contain domain names that are not in the "domainNames" parameter!', undefined, 422, 'csr-domain-mismatch'],
    [-163, 'The CSR must not contain domain names that are not in the list of certificate domain names!', undefined, 422, 'csr-domain-mismatch']
  ])('maps %i to %i %s', async (code, message, item, status, slug) => {
    expectCall(t, '!AutoReplaceMC', reply(code, message, item))
    const res = await post({})
    expect(res.statusCode).toBe(status)
    expect(res.json()).toMatchObject({ type: `/problems/${slug}`, status, detail: message, sectigo: { errorCode: code, errorMessage: message } })
  })

  it('points -7 on countryName at #/organization/country', async () => {
    expectCall(t, '!AutoReplaceMC', reply(-7, "'XK' is not a valid ISO-3166 country!", 'countryName'))
    expect((await post({ organization: { country: 'XK' } })).json().errors).toEqual([
      { pointer: '#/organization/country', detail: "'XK' is not a valid ISO-3166 country!" }
    ])
  })

  it('points -161 at the member it names', async () => {
    expectCall(t, '!AutoReplaceMC', reply(-161, "Parameter 'trademarkOffice' is not applicable to this type of product!"))
    expect((await post({ trademark: { office: 'USPTO' } })).json().errors[0].pointer).toBe('#/trademark/office')
  })

  it.each([
    [-3, "The 'domainNames' argument is missing!", 'domainNames', 422, '#/domains'],
    [-4, "The value of the 'dcvEmailAddresses' argument is invalid!", 'dcvEmailAddresses', 422, '#/domains'],
    [-4, "The value of the 'checkFONIsUnique' argument is invalid!", 'checkFONIsUnique', 422, '#/requireUniqueForeignOrderNumber'],
    [-4, "The value of the 'appRepPostalCode' argument is invalid!", 'appRepPostalCode', 422, '#/applicantRepresentative/organization/postalCode']
  ])('maps %i on %s to 422 at the member', async (code, message, item, status, pointer) => {
    expectCall(t, '!AutoReplaceMC', reply(code, message, item))
    const res = await post({ domains: [{ domainName: 'brand.example' }] })
    expect(res.statusCode).toBe(status)
    expect(res.json().errors[0].pointer).toBe(pointer)
  })

  it('points dcvEmailAddresses at #/dcvMethod when the magic token came from it', async () => {
    expectCall(t, '!AutoReplaceMC', reply(-4, "The value of the 'dcvEmailAddresses' argument is invalid!", 'dcvEmailAddresses'))
    expect((await post({ dcvMethod: 'CNAME_CSR_HASH' })).json().errors[0].pointer).toBe('#/dcvMethod')
  })

  it.each(['responseFormat', 'showCertificateState', 'showValidityPeriod', 'showReplOrderNumber', 'loginPassword'])(
    'maps -4 on the service field %s to 502',
    async (field) => {
      expectCall(t, '!AutoReplaceMC', reply(-4, `The value of the '${field}' argument is invalid!`, field))
      const res = await post({})
      expect(res.statusCode).toBe(502)
      expect(res.json().type).toBe('/problems/upstream-rejected-request')
    }
  )

  it('reads the percent-encoded newline error of the page', async () => {
    expectCall(t, '!AutoReplaceMC', '-160%0AFailed%20to%20replace%20order%20%232000001.')
    const res = await post({})
    expect(res.statusCode).toBe(502)
    expect(res.json()).toMatchObject({ type: '/problems/upstream-operation-failed', sectigo: { errorCode: -160, errorMessage: 'Failed to replace order #2000001.' } })
  })

  it('reads a newline error', async () => {
    expectCall(t, '!AutoReplaceMC', '-36\nThe certificate has already expired!\n')
    expect((await post({})).json()).toMatchObject({ type: '/problems/certificate-expired', detail: 'The certificate has already expired!' })
  })
})

describe('never sent twice', () => {
  it('a connect failure is 503 and is not retried', async () => {
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await post({})
    expect(res.statusCode).toBe(503)
    expect(t.agent.pendingInterceptors()).toHaveLength(1)
  })

  it('an error before the request is written is 503 upstream-unavailable and is not retried', async () => {
    // MockAgent fails a replyWithError before the request's first byte, as a refused connection does;
    // a replacement is never sent twice, so even that is not retried. (Lost after writing: upstream-faults.)
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
    expectCall(t, '!AutoReplaceMC', SUCCESS)
    const res = await post({})
    expect(res.statusCode).toBe(503)
    expect(res.json().outcome).toBeUndefined()
    expect(t.agent.pendingInterceptors()).toHaveLength(1)
  })
})
