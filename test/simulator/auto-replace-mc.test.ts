import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { makeCsr, type TestCsr } from '../fixtures/csr.js'
import { LOGIN, order, post, readLines, readUrlEncoded, replace, simulator } from './helpers.js'

let sim: FastifyInstance
beforeEach(async () => {
  sim = await simulator()
})
afterEach(async () => {
  await sim.close()
})

let brandCsr: TestCsr
beforeAll(async () => {
  brandCsr = await makeCsr({ commonName: 'brand.example', dnsNames: ['brand.example', 'www.brand.example'] })
})

const invalid = (name: string) => `The value of the '${name}' argument is invalid!`
const SHOW_ALL = { showCertificateState: 'Y', showValidityPeriod: 'Y', showReplOrderNumber: 'Y' }
const now = () => Math.floor(Date.now() / 1000)

describe('AutoReplaceMC: success in both response formats', () => {
  it('format 0 (the default) without show flags is the single line 0', async () => {
    const reply = await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001' })
    expect(reply).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: '0\n' })
  })

  it('format 0 with every show flag: state, "start end" UNIX times, replacement order number, in that order', async () => {
    const before = now()
    const lines = readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', ...SHOW_ALL }))
    const after = now()
    expect(lines).toHaveLength(4)
    expect(lines[0]).toBe('0')
    expect(lines[1]).toBe('Pending Validation')
    const [start, end] = (lines[2] ?? '').split(' ').map(Number)
    expect(start).toBeGreaterThanOrEqual(before)
    expect(start).toBeLessThanOrEqual(after)
    expect(end).toBe((start ?? 0) + 365 * 86_400)
    expect(lines[3]).toBe('3000001')
  })

  it('format 0 shows only the lines asked for', async () => {
    const validity = readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', showValidityPeriod: 'Y' }))
    expect(validity).toHaveLength(2)
    expect(validity[1]).toMatch(/^\d{10} \d{10}$/)
    const number = readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', showReplOrderNumber: 'Y', showCertificateState: 'N' }))
    expect(number).toEqual(['0', '3000002'])
    const state = readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', responseFormat: '0', showCertificateState: 'Y' }))
    expect(state).toEqual(['0', 'Pending Validation'])
  })

  it('format 1 without show flags is exactly errorCode=0', async () => {
    const reply = await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', responseFormat: '1' })
    expect(reply).toEqual({ status: 200, contentType: 'application/x-www-form-urlencoded', body: 'errorCode=0' })
  })

  it('format 1 with every show flag: certificateStatus, the product term and replOrderNumber, no errorMessage', async () => {
    const before = now()
    const answer = await replace(sim, { orderNumber: '2000001', ...SHOW_ALL })
    expect(answer.errorCode).toBe(0)
    expect(answer.params.has('errorMessage')).toBe(false)
    expect(answer.params.get('certificateStatus')).toBe('Pending Validation')
    const start = Number(answer.params.get('productTermStartDate'))
    expect(start).toBeGreaterThanOrEqual(before)
    expect(Number(answer.params.get('productTermEndDate'))).toBe(start + 365 * 86_400)
    expect(answer.params.get('productTermDuration')).toBe('365')
    expect(answer.params.get('replOrderNumber')).toBe('3000001')
    expect([...answer.params.keys()]).toEqual([
      'errorCode',
      'certificateStatus',
      'productTermStartDate',
      'productTermEndDate',
      'productTermDuration',
      'replOrderNumber'
    ])
  })

  it('books a new order per replacement, numbered from 3000001, and records it on the original', async () => {
    expect((await replace(sim, { orderNumber: '2000001', showReplOrderNumber: 'Y' })).params.get('replOrderNumber')).toBe('3000001')
    expect((await replace(sim, { orderNumber: '2000002', showReplOrderNumber: 'Y' })).params.get('replOrderNumber')).toBe('3000002')
    const original = await order(sim, '2000001')
    expect(original.replacements).toEqual(['3000001'])
    expect(original.status).toBe('Issued')
    expect(original.calls[0]?.arguments).toEqual({ orderNumber: '2000001', responseFormat: '1', showReplOrderNumber: 'Y' })
    const replacement = await order(sim, '3000001')
    expect(replacement).toMatchObject({
      kind: 'VMC',
      status: 'Pending Validation',
      replacedOrderNumber: '2000001',
      productTerm: { durationDays: 365 }
    })
    expect(replacement.domains.map((d) => d.domainName)).toEqual(['brand.example', 'www.brand.example'])
    expect((await order(sim, '3000002')).kind).toBe('CMC')
  })

  it('accepts every argument of the table at once on a VMC', async () => {
    const answer = await replace(sim, {
      orderNumber: '2000001',
      domainNames: 'brand.example,www.brand.example',
      csr: brandCsr.pem,
      markLogo: 'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=',
      trademarkCountryName: 'US',
      trademarkOffice: 'USPTO',
      trademarkIdentifier: '1234567',
      organizationName: 'Brand & Co',
      organizationalUnitName: 'Marketing',
      postOfficeBox: 'PO 1',
      streetAddress1: '1 Main Street',
      streetAddress2: 'Floor 2',
      streetAddress3: 'Suite 3',
      localityName: 'Springfield',
      stateOrProvinceName: 'IL',
      postalCode: '62701',
      countryName: 'US',
      dunsNumber: '123456789',
      companyNumber: 'C-42',
      joiLocalityName: 'Springfield',
      joiStateOrProvinceName: 'Illinois',
      joiCountryName: 'US',
      assumedName: 'Brand',
      dateOfIncorporation: '2024-02-29',
      dcvEmailAddresses: 'admin@brand.example,CNAMECSRHASH',
      foreignOrderNumber: 'po-77',
      checkFONIsUnique: 'Y',
      appRepForename: 'Ada',
      appRepSurname: 'Lovelace',
      appRepEmailAddress: 'ada@brand.example',
      appRepTelephone: '+1 555 0100',
      appRepTitle: 'CTO',
      appRepFax: '+1 555 0101',
      appRepOrganizationName: 'Brand Holdings',
      appRepOrganizationalUnitName: 'Legal',
      appRepStreetAddress1: '2 Main Street',
      appRepStreetAddress2: 'b',
      appRepStreetAddress3: 'c',
      appRepPostOfficeBox: 'PO 2',
      appRepLocalityName: 'Springfield',
      appRepStateOrProvinceName: 'IL',
      appRepPostalCode: '62702',
      appRepCountryName: 'GB',
      showCertificateState: 'N',
      ignoreLateOrgDetailsChanges: 'N',
      updateOrgDetails: 'Y',
      showValidityPeriod: 'N',
      showReplOrderNumber: 'Y',
      logoHostedByCA: 'N'
    })
    expect([answer.errorCode, answer.errorMessage]).toEqual([0, undefined])
    const replacement = await order(sim, '3000001')
    expect(replacement.foreignOrderNumber).toBe('po-77')
    expect(replacement.domains).toEqual([
      { domainName: 'brand.example', method: 'EMAIL', email: 'admin@brand.example', validated: false },
      { domainName: 'www.brand.example', method: 'CNAME_CSR_HASH', email: null, validated: false }
    ])
  })
})

describe('AutoReplaceMC: the checks before any order is read', () => {
  it('-17 for GET, in the format the query asks for', async () => {
    const query = new URLSearchParams({ ...LOGIN, orderNumber: '2000001' })
    const lines = await sim.inject({ method: 'GET', url: `/products/!AutoReplaceMC?${query}` })
    expect(lines.body).toBe('-17\nRequest used GET rather than POST!\n')
    expect(lines.headers['content-type']).toBe('text/plain; charset=utf-8')
    const encoded = await sim.inject({ method: 'GET', url: `/products/!AutoReplaceMC?${query}&responseFormat=1` })
    expect(new URLSearchParams(encoded.body).get('errorCode')).toBe('-17')
    expect((await order(sim, '2000001')).replacements).toEqual([])
  })

  it("-2 'Unrecognised argument!' for names outside the table, with errorItem in format 1", async () => {
    for (const name of ['showTotalCost', 'showReplacedOrderNumber', 'isCustomerValidated', 'ordernumber', 'DomainNames', 'UpdateOrgDetails']) {
      const answer = await replace(sim, { orderNumber: '2000001', [name]: 'Y' })
      expect([answer.errorCode, answer.errorMessage, answer.errorItem], name).toEqual([-2, 'Unrecognised argument!', name])
    }
    const lines = readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', showTotalCost: 'Y' }))
    expect(lines).toEqual(['-2', 'Unrecognised argument!'])
  })

  it('-2 wins over a wrong password; -16 wins over an unknown order', async () => {
    expect((await replace(sim, { orderNumber: '2000001', loginPassword: 'wrong', foo: 'bar' })).errorCode).toBe(-2)
    const login = await replace(sim, { orderNumber: '1234', loginPassword: 'wrong' })
    expect([login.errorCode, login.errorItem]).toEqual([-16, undefined])
  })

  it('-3 for loginName, loginPassword or orderNumber missing, in that order', async () => {
    const none = readUrlEncoded(await post(sim, '!AutoReplaceMC', { responseFormat: '1' }))
    expect([none.errorCode, none.errorItem]).toEqual([-3, 'loginName'])
    const noPassword = readUrlEncoded(await post(sim, '!AutoReplaceMC', { loginName: LOGIN.loginName, responseFormat: '1' }))
    expect([noPassword.errorCode, noPassword.errorItem]).toEqual([-3, 'loginPassword'])
    const noOrder = await replace(sim, {})
    expect([noOrder.errorCode, noOrder.errorMessage, noOrder.errorItem]).toEqual([-3, "The 'orderNumber' argument is missing!", 'orderNumber'])
    expect(readLines(await post(sim, '!AutoReplaceMC', LOGIN))).toEqual(['-3', "The 'orderNumber' argument is missing!"])
  })

  it('-4 for a repeated argument', async () => {
    const reply = await post(sim, '!AutoReplaceMC', [
      ['loginName', LOGIN.loginName],
      ['loginPassword', LOGIN.loginPassword],
      ['responseFormat', '1'],
      ['orderNumber', '2000001'],
      ['domainNames', 'brand.example'],
      ['domainNames', 'www.brand.example']
    ])
    expect(readUrlEncoded(reply)).toMatchObject({ errorCode: -4, errorItem: 'domainNames' })
  })
})

describe('AutoReplaceMC: order lookup', () => {
  it('-4 on orderNumber for an SSL order, an unknown or malformed number', async () => {
    for (const orderNumber of ['1000001', '1000002', '1000003', '1000004', '1000005', '1000006', '4242', '2000001x', '5000001']) {
      const answer = await replace(sim, { orderNumber })
      expect([answer.errorCode, answer.errorMessage, answer.errorItem], orderNumber).toEqual([-4, invalid('orderNumber'), 'orderNumber'])
    }
  })
})

describe('AutoReplaceMC: values', () => {
  it('-4 on responseFormat other than 0 or 1, answered in the newline format', async () => {
    for (const responseFormat of ['2', '', 'json', '01']) {
      const lines = readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', responseFormat }))
      expect(lines, responseFormat).toEqual(['-4', invalid('responseFormat')])
    }
  })

  it('-4 on a flag other than Y or N', async () => {
    const flags = ['checkFONIsUnique', 'showCertificateState', 'ignoreLateOrgDetailsChanges', 'updateOrgDetails', 'showValidityPeriod', 'showReplOrderNumber', 'logoHostedByCA']
    for (const flag of flags) {
      for (const value of ['y', 'yes', '1', '']) {
        const answer = await replace(sim, { orderNumber: '2000001', [flag]: value })
        expect([answer.errorCode, answer.errorItem], `${flag}=${value}`).toEqual([-4, flag])
      }
      expect((await replace(sim, { orderNumber: '2000001', [flag]: 'N' })).errorCode, flag).toBe(0)
    }
  })

  it("-4 past each field's maximum length, and not at it", async () => {
    const limits: Array<[string, number]> = [
      ['organizationName', 64],
      ['organizationalUnitName', 64],
      ['postOfficeBox', 40],
      ['streetAddress1', 128],
      ['localityName', 128],
      ['postalCode', 128],
      ['companyNumber', 64],
      ['assumedName', 64],
      ['foreignOrderNumber', 64],
      ['trademarkOffice', 255],
      ['trademarkIdentifier', 255],
      ['appRepForename', 64],
      ['appRepTelephone', 32],
      ['appRepFax', 32],
      ['appRepEmailAddress', 255],
      ['appRepOrganizationName', 255],
      ['appRepPostOfficeBox', 128],
      ['appRepPostalCode', 40]
    ]
    for (const [name, max] of limits) {
      const base: Record<string, string> = name.startsWith('appRep') && name !== 'appRepOrganizationName' ? { appRepOrganizationName: 'Org' } : {}
      expect((await replace(sim, { orderNumber: '2000001', ...base, [name]: 'é'.repeat(max) })).errorCode, name).toBe(0)
      const answer = await replace(sim, { orderNumber: '2000001', ...base, [name]: 'x'.repeat(max + 1) })
      expect([answer.errorCode, answer.errorItem], name).toEqual([-4, name])
    }
    const logo = await replace(sim, { orderNumber: '2000001', markLogo: 'A'.repeat(32768) })
    expect([logo.errorCode, logo.errorItem]).toEqual([-4, 'markLogo'])
  })

  it('-4 on an empty optional argument', async () => {
    const answer = await replace(sim, { orderNumber: '2000001', organizationName: '' })
    expect([answer.errorCode, answer.errorItem]).toEqual([-4, 'organizationName'])
  })

  it('-7 for a country that is not an assigned ISO 3166-1 alpha-2 code, naming the argument', async () => {
    for (const name of ['countryName', 'joiCountryName', 'trademarkCountryName']) {
      for (const value of ['ZZ', 'UK', 'us', 'EU']) {
        const answer = await replace(sim, { orderNumber: '2000001', [name]: value })
        expect([answer.errorCode, answer.errorMessage, answer.errorItem], `${name}=${value}`).toEqual([
          -7,
          `'${value}' is not a valid ISO-3166 country!`,
          name
        ])
      }
      const long = await replace(sim, { orderNumber: '2000001', [name]: 'USA' })
      expect([long.errorCode, long.errorItem]).toEqual([-4, name])
      expect((await replace(sim, { orderNumber: '2000001', [name]: 'GB' })).errorCode).toBe(0)
    }
    expect(readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', countryName: 'XX' }))).toEqual([
      '-7',
      "'XX' is not a valid ISO-3166 country!"
    ])
  })

  it('checks appRepCountryName only with appRepOrganizationName (the page: ignored without it)', async () => {
    const checked = await replace(sim, { orderNumber: '2000001', appRepOrganizationName: 'Org', appRepCountryName: 'ZZ' })
    expect([checked.errorCode, checked.errorItem]).toEqual([-7, 'appRepCountryName'])
    expect((await replace(sim, { orderNumber: '2000001', appRepCountryName: 'ZZ' })).errorCode).toBe(0)
  })

  it('-4 for a dateOfIncorporation that is not a real YYYY-MM-DD day', async () => {
    for (const date of ['2023-02-29', '2023-13-01', '2023-2-3', '20230203', '2023-02-03T00:00']) {
      const answer = await replace(sim, { orderNumber: '2000001', dateOfIncorporation: date })
      expect([answer.errorCode, answer.errorItem], date).toEqual([-4, 'dateOfIncorporation'])
    }
    expect((await replace(sim, { orderNumber: '2000001', dateOfIncorporation: '2024-02-29' })).errorCode).toBe(0)
  })

  it('-4 for a dunsNumber that is not nine digits', async () => {
    for (const duns of ['12345678', '1234567890', '12-345-6789', 'abcdefghi']) {
      const answer = await replace(sim, { orderNumber: '2000001', dunsNumber: duns })
      expect([answer.errorCode, answer.errorItem], duns).toEqual([-4, 'dunsNumber'])
    }
  })

  it('takes markLogo in base64 or base64url, and -4 otherwise', async () => {
    for (const logo of ['PHN2Zz4=', 'PHN2Zz4', '+/+/', '-_-_']) {
      expect((await replace(sim, { orderNumber: '2000001', markLogo: logo })).errorCode, logo).toBe(0)
    }
    for (const logo of ['PHN2Zz4=\n', 'not base64!', '+/-_', 'PHN2Zz4==', 'A']) {
      const answer = await replace(sim, { orderNumber: '2000001', markLogo: logo })
      expect([answer.errorCode, answer.errorItem], logo).toEqual([-4, 'markLogo'])
    }
  })

  it('-161 for trademark arguments on a CMC and logoPriorUseDomainName on a VMC', async () => {
    for (const name of ['trademarkCountryName', 'trademarkOffice', 'trademarkIdentifier']) {
      const answer = await replace(sim, { orderNumber: '2000002', [name]: 'US' })
      expect([answer.errorCode, answer.errorMessage, answer.errorItem], name).toEqual([
        -161,
        `Parameter '${name}' is not applicable to this type of product!`,
        name
      ])
    }
    const priorUse = await replace(sim, { orderNumber: '2000001', logoPriorUseDomainName: 'brand.example' })
    expect([priorUse.errorCode, priorUse.errorMessage]).toEqual([-161, "Parameter 'logoPriorUseDomainName' is not applicable to this type of product!"])
  })

  it("takes logoPriorUseDomainName on a CMC when it is one of the domains, and -4 otherwise", async () => {
    expect((await replace(sim, { orderNumber: '2000002', logoPriorUseDomainName: 'mark.example' })).errorCode).toBe(0)
    const outside = await replace(sim, { orderNumber: '2000002', logoPriorUseDomainName: 'other.example' })
    expect([outside.errorCode, outside.errorItem]).toEqual([-4, 'logoPriorUseDomainName'])
    const listed = await replace(sim, { orderNumber: '2000002', domainNames: 'mark.example shop.mark.example', logoPriorUseDomainName: 'shop.mark.example' })
    expect(listed.errorCode).toBe(0)
    const notListed = await replace(sim, { orderNumber: '2000002', domainNames: 'shop.mark.example', logoPriorUseDomainName: 'mark.example' })
    expect([notListed.errorCode, notListed.errorItem]).toEqual([-4, 'logoPriorUseDomainName'])
  })
})

describe('AutoReplaceMC: domainNames and dcvEmailAddresses', () => {
  it('separates domainNames by commas and/or whitespace', async () => {
    const answer = await replace(sim, { orderNumber: '2000001', domainNames: 'brand.example, www.brand.example\n shop.brand.example' })
    expect(answer.errorCode).toBe(0)
    expect((await order(sim, '3000001')).domains.map((d) => d.domainName)).toEqual(['brand.example', 'www.brand.example', 'shop.brand.example'])
  })

  it('-4 on domainNames that are not domain names, repeat, or are empty', async () => {
    for (const names of ['brand.example,brand.example', 'not a domain!', ', ,', 'localhost']) {
      const answer = await replace(sim, { orderNumber: '2000001', domainNames: names })
      expect([answer.errorCode, answer.errorItem], names).toEqual([-4, 'domainNames'])
    }
  })

  it("takes one entry per domain: an acceptable address or a CSR-hash token, matched in order", async () => {
    const answer = await replace(sim, { orderNumber: '2000001', dcvEmailAddresses: 'HTTPSCSRHASH admin@www.brand.example' })
    expect(answer.errorCode).toBe(0)
    expect((await order(sim, '3000001')).domains.map((d) => [d.method, d.email])).toEqual([
      ['HTTPS_CSR_HASH', null],
      ['EMAIL', 'admin@www.brand.example']
    ])
  })

  it('-4 when the count differs from the domains (domainNames when given, else the order)', async () => {
    const againstOrder = await replace(sim, { orderNumber: '2000001', dcvEmailAddresses: 'HTTPCSRHASH' })
    expect([againstOrder.errorCode, againstOrder.errorItem]).toEqual([-4, 'dcvEmailAddresses'])
    const againstList = await replace(sim, { orderNumber: '2000001', domainNames: 'brand.example', dcvEmailAddresses: 'HTTPCSRHASH,CNAMECSRHASH' })
    expect([againstList.errorCode, againstList.errorItem]).toEqual([-4, 'dcvEmailAddresses'])
    expect((await replace(sim, { orderNumber: '2000001', domainNames: 'brand.example', dcvEmailAddresses: 'HTTPCSRHASH' })).errorCode).toBe(0)
  })

  it('-4 for an entry that is neither an acceptable address nor a token', async () => {
    for (const entry of ['HTTP_CSR_HASH', 'httpcsrhash', 'info@brand.example', 'admin@other.example']) {
      const answer = await replace(sim, { orderNumber: '2000001', dcvEmailAddresses: `CNAMECSRHASH,${entry}` })
      expect([answer.errorCode, answer.errorItem], entry).toEqual([-4, 'dcvEmailAddresses'])
    }
  })

  it('takes an ALL… token alone for every domain, and -4 when anything accompanies it', async () => {
    expect((await replace(sim, { orderNumber: '2000001', dcvEmailAddresses: 'ALLCNAMECSRHASH' })).errorCode).toBe(0)
    expect((await order(sim, '3000001')).domains.map((d) => d.method)).toEqual(['CNAME_CSR_HASH', 'CNAME_CSR_HASH'])
    expect((await replace(sim, { orderNumber: '2000001', domainNames: 'brand.example a.brand.example b.brand.example', dcvEmailAddresses: 'ALLHTTPCSRHASH' })).errorCode).toBe(0)
    expect((await order(sim, '3000002')).domains.map((d) => d.method)).toEqual(['HTTP_CSR_HASH', 'HTTP_CSR_HASH', 'HTTP_CSR_HASH'])
    expect((await replace(sim, { orderNumber: '2000001', dcvEmailAddresses: 'ALLHTTPSCSRHASH' })).errorCode).toBe(0)
    for (const value of ['ALLHTTPCSRHASH,HTTPCSRHASH', 'ALLCNAMECSRHASH ALLCNAMECSRHASH', 'admin@brand.example,ALLHTTPCSRHASH']) {
      const answer = await replace(sim, { orderNumber: '2000001', dcvEmailAddresses: value })
      expect([answer.errorCode, answer.errorItem], value).toEqual([-4, 'dcvEmailAddresses'])
    }
  })

  it('accepts validationTokens as the alias of dcvEmailAddresses, but not both', async () => {
    expect((await replace(sim, { orderNumber: '2000001', validationTokens: 'ALLCNAMECSRHASH' })).errorCode).toBe(0)
    const bad = await replace(sim, { orderNumber: '2000001', validationTokens: 'HTTPCSRHASH' })
    expect([bad.errorCode, bad.errorItem]).toEqual([-4, 'validationTokens'])
    const both = await replace(sim, { orderNumber: '2000001', validationTokens: 'ALLCNAMECSRHASH', dcvEmailAddresses: 'ALLCNAMECSRHASH' })
    expect([both.errorCode, both.errorItem]).toEqual([-4, 'validationTokens'])
  })

  it('keeps the methods of the order when no DCV list is sent', async () => {
    expect((await replace(sim, { orderNumber: '2000001', domainNames: 'www.brand.example new.brand.example' })).errorCode).toBe(0)
    expect((await order(sim, '3000001')).domains).toEqual([
      { domainName: 'www.brand.example', method: 'EMAIL', email: 'admin@brand.example', validated: false },
      { domainName: 'new.brand.example', method: null, email: null, validated: false }
    ])
  })

  it('-4 on foreignOrderNumber already used when checkFONIsUnique=Y', async () => {
    expect((await replace(sim, { orderNumber: '2000001', foreignOrderNumber: 'po-1', checkFONIsUnique: 'Y' })).errorCode).toBe(0)
    const again = await replace(sim, { orderNumber: '2000001', foreignOrderNumber: 'po-1', checkFONIsUnique: 'Y' })
    expect([again.errorCode, again.errorItem]).toEqual([-4, 'foreignOrderNumber'])
    expect((await replace(sim, { orderNumber: '2000001', foreignOrderNumber: 'po-1', checkFONIsUnique: 'N' })).errorCode).toBe(0)
    expect((await replace(sim, { orderNumber: '2000001', foreignOrderNumber: 'po-1' })).errorCode).toBe(0)
  })
})

describe('AutoReplaceMC: the CSR', () => {
  it('takes PEM with or without header and footer, and bare one-line base64', async () => {
    const body = brandCsr.pem.replace(/-----[^-]+-----/g, '').trim()
    for (const csr of [brandCsr.pem, body, brandCsr.base64, brandCsr.pem.replace(/\n/g, '\r\n')]) {
      expect((await replace(sim, { orderNumber: '2000001', csr })).errorCode).toBe(0)
    }
  })

  it('-110 for a CSR that does not decode as PKCS#10, in both formats', async () => {
    const pageSample =
      '-----BEGIN CERTIFICATE REQUEST-----\nMIIbWQYJKoZIhvcNAQcCoIIbSjCCG0YCAQExDTALBglghkgBZQMEAgEwDwYJKoZI\n-----END CERTIFICATE REQUEST-----'
    for (const csr of ['garbage!', 'AAAA', pageSample, brandCsr.base64.slice(0, 100), '']) {
      const answer = await replace(sim, { orderNumber: '2000001', csr })
      if (csr === '') {
        expect([answer.errorCode, answer.errorItem]).toEqual([-4, 'csr'])
        continue
      }
      expect([answer.errorCode, answer.errorMessage], csr).toEqual([-110, 'CSR decoding Internal Error'])
    }
    expect(readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', csr: 'garbage' }))).toEqual([
      '-110',
      'CSR decoding Internal Error'
    ])
  })

  it('-162 when the CSR names a domain outside domainNames', async () => {
    const answer = await replace(sim, { orderNumber: '2000001', domainNames: 'brand.example', csr: brandCsr.pem })
    expect([answer.errorCode, answer.errorMessage]).toEqual([
      -162,
      'The CSR must not contain domain names that are not in the "domainNames" parameter!'
    ])
    const cnOnly = await makeCsr({ commonName: 'other.brand.example' })
    expect((await replace(sim, { orderNumber: '2000001', domainNames: 'brand.example', csr: cnOnly.pem })).errorCode).toBe(-162)
    expect((await replace(sim, { orderNumber: '2000001', domainNames: 'Other.Brand.Example', csr: cnOnly.pem })).errorCode).toBe(0)
  })

  it("-163 when, without domainNames, the CSR names a domain outside the certificate's", async () => {
    const csr = await makeCsr({ dnsNames: ['brand.example', 'shop.brand.example'] })
    const answer = await replace(sim, { orderNumber: '2000001', csr: csr.pem })
    expect([answer.errorCode, answer.errorMessage]).toEqual([
      -163,
      'The CSR must not contain domain names that are not in the list of certificate domain names!'
    ])
    const rsa = await makeCsr({ commonName: 'mark.example', keyAlgorithm: 'RSA-2048' })
    expect((await replace(sim, { orderNumber: '2000002', csr: rsa.pem })).errorCode).toBe(0)
  })

  it('judges the values before the CSR: -7 beats -110', async () => {
    expect((await replace(sim, { orderNumber: '2000001', csr: 'garbage', countryName: 'ZZ' })).errorCode).toBe(-7)
  })
})

describe("AutoReplaceMC: the order's state", () => {
  it('-36 for an expired certificate, after the values', async () => {
    const answer = await replace(sim, { orderNumber: '2000003' })
    expect([answer.errorCode, answer.errorMessage]).toEqual([-36, 'The certificate has already expired!'])
    expect((await replace(sim, { orderNumber: '2000003', showValidityPeriod: 'maybe' })).errorCode).toBe(-4)
    expect(readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000003' }))).toEqual(['-36', 'The certificate has already expired!'])
  })

  it('-115, -90 and -91 with the order number, in both formats', async () => {
    const cases: Array<[string, number, string]> = [
      ['2000004', -115, "No price found for '2000004'"],
      ['2000005', -90, "Permission denied for using “voucher” with '2000005'"],
      ['2000006', -91, "Permission denied! '2000006'"]
    ]
    for (const [orderNumber, code, message] of cases) {
      const answer = await replace(sim, { orderNumber, ...SHOW_ALL })
      expect([answer.errorCode, answer.errorMessage, answer.errorItem]).toEqual([code, message, undefined])
      expect(readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber }))).toEqual([String(code), message])
      expect((await order(sim, orderNumber)).replacements).toEqual([])
    }
  })
})

describe('AutoReplaceMC: errors in the newline format (responseFormat 0)', () => {
  it('answers each code as a status line and a message line', async () => {
    const strangers = await makeCsr({ dnsNames: ['elsewhere.example'] })
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ orderNumber: '9000004' }, '-1', 'Request was not made over https!'],
      [{ orderNumber: '2000001', loginPassword: 'wrong' }, '-16', 'Incorrect login details, account is locked, password has expired or your source IP is blocked.'],
      [{ orderNumber: '9000006' }, '-42', 'Call limit reached, please try again later'],
      [{ orderNumber: '2000002', trademarkOffice: 'EUIPO' }, '-161', "Parameter 'trademarkOffice' is not applicable to this type of product!"],
      [{ orderNumber: '2000001', domainNames: 'brand.example', csr: strangers.pem }, '-162', 'The CSR must not contain domain names that are not in the "domainNames" parameter!'],
      [{ orderNumber: '2000001', csr: strangers.pem }, '-163', 'The CSR must not contain domain names that are not in the list of certificate domain names!'],
      [{ orderNumber: '1000001' }, '-4', invalid('orderNumber')]
    ]
    for (const [fields, code, message] of cases) {
      expect(readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, ...fields })), code).toEqual([code, message])
    }
  })
})
