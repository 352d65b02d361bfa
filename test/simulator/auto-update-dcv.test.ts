import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { dcv, LOGIN, order, post, readUrlEncoded, simulator } from './helpers.js'

let sim: FastifyInstance
beforeEach(async () => {
  sim = await simulator()
})
afterEach(async () => {
  await sim.close()
})

const invalid = (name: string) => `The value of the '${name}' argument is invalid!`
const missing = (name: string) => `The '${name}' argument is missing!`

describe('AutoUpdateDCV: replies', () => {
  it('answers a success as exactly errorCode=0, URL-encoded', async () => {
    const reply = await post(sim, '!AutoUpdateDCV', { ...LOGIN, orderNumber: '1000001', newMethod: 'CNAME_CSR_HASH' })
    expect(reply).toEqual({ status: 200, contentType: 'application/x-www-form-urlencoded', body: 'errorCode=0' })
  })

  it("answers the page's sample error byte for byte for an issued order", async () => {
    const reply = await post(sim, '!AutoUpdateDCV', { ...LOGIN, orderNumber: '1000003', newMethod: 'CNAME_CSR_HASH' })
    expect(reply.body).toBe(
      'errorCode=-4&errorMessage=The+value+of+the+%27orderNumber%27+argument+is+invalid%21&errorItem=orderNumber'
    )
  })
})

describe('AutoUpdateDCV: single-domain form', () => {
  it('changes the method of a single-domain order without a domainName, and records the call', async () => {
    expect((await dcv(sim, { orderNumber: '1000001', newMethod: 'HTTPS_CSR_HASH' })).errorCode).toBe(0)
    const view = await order(sim, '1000001')
    expect(view.domains).toEqual([{ domainName: 'www.example.com', method: 'HTTPS_CSR_HASH', email: null, validated: false }])
    expect(view.calls).toEqual([{ endpoint: '!AutoUpdateDCV', arguments: { orderNumber: '1000001', newMethod: 'HTTPS_CSR_HASH' } }])
    expect(JSON.stringify(view)).not.toContain(LOGIN.loginPassword)
  })

  it('sets an EMAIL method with an acceptable address at the domain or a parent domain', async () => {
    for (const email of ['admin@www.example.com', 'hostmaster@example.com', 'WebMaster@Example.COM']) {
      const answer = await dcv(sim, { orderNumber: '1000001', domainName: 'www.example.com', newMethod: 'EMAIL', newDCVEmailAddress: email })
      expect(answer.errorCode, email).toBe(0)
    }
    expect((await order(sim, '1000001')).domains[0]).toMatchObject({ method: 'EMAIL', email: 'WebMaster@Example.COM' })
  })

  it('refuses an address that is not an acceptable DCV address for the domain (-4)', async () => {
    for (const email of ['info@example.com', 'admin@com', 'admin@other.example', 'admin@shop.www.example.com', 'admin', 'admin@@example.com']) {
      const answer = await dcv(sim, { orderNumber: '1000001', newMethod: 'EMAIL', newDCVEmailAddress: email })
      expect([answer.errorCode, answer.errorItem], email).toEqual([-4, 'newDCVEmailAddress'])
    }
  })

  it('refuses an address sent with a method other than EMAIL (-4)', async () => {
    const answer = await dcv(sim, { orderNumber: '1000001', newMethod: 'CNAME_CSR_HASH', newDCVEmailAddress: 'admin@example.com' })
    expect([answer.errorCode, answer.errorMessage, answer.errorItem]).toEqual([-4, invalid('newDCVEmailAddress'), 'newDCVEmailAddress'])
  })

  it('accepts only the four methods, spelt exactly (-4)', async () => {
    for (const method of ['email', 'HTTP', 'HTTPCSRHASH', 'DNS_CSR_HASH', 'CNAME_CSR_HASH ']) {
      const answer = await dcv(sim, { orderNumber: '1000001', newMethod: method })
      expect([answer.errorCode, answer.errorItem], method).toEqual([-4, 'newMethod'])
    }
  })

  it('refuses a domain the order does not hold (-4 on domainName), ignoring case for those it does', async () => {
    const other = await dcv(sim, { orderNumber: '1000001', domainName: 'example.com', newMethod: 'CNAME_CSR_HASH' })
    expect([other.errorCode, other.errorItem]).toEqual([-4, 'domainName'])
    const long = await dcv(sim, { orderNumber: '1000001', domainName: `${'a'.repeat(252)}.com`, newMethod: 'CNAME_CSR_HASH' })
    expect([long.errorCode, long.errorItem]).toEqual([-4, 'domainName'])
    expect((await dcv(sim, { orderNumber: '1000001', domainName: 'WWW.Example.com', newMethod: 'CNAME_CSR_HASH' })).errorCode).toBe(0)
  })

  it('needs domainName for a multi-domain order (-3), before judging any value', async () => {
    const answer = await dcv(sim, { orderNumber: '1000002', newMethod: 'NOT_A_METHOD' })
    expect([answer.errorCode, answer.errorMessage, answer.errorItem]).toEqual([-3, missing('domainName'), 'domainName'])
  })

  it('needs newMethod (-3), and an address when it is EMAIL (-3)', async () => {
    const noMethod = await dcv(sim, { orderNumber: '1000001' })
    expect([noMethod.errorCode, noMethod.errorItem]).toEqual([-3, 'newMethod'])
    const noEmail = await dcv(sim, { orderNumber: '1000001', newMethod: 'EMAIL' })
    expect([noEmail.errorCode, noEmail.errorMessage, noEmail.errorItem]).toEqual([-3, missing('newDCVEmailAddress'), 'newDCVEmailAddress'])
    const emptyEmail = await dcv(sim, { orderNumber: '1000001', newMethod: 'EMAIL', newDCVEmailAddress: '' })
    expect([emptyEmail.errorCode, emptyEmail.errorItem]).toEqual([-3, 'newDCVEmailAddress'])
  })

  it('updates one domain of a multi-domain order', async () => {
    const answer = await dcv(sim, { orderNumber: '1000002', domainName: 'shop.example.com', newMethod: 'EMAIL', newDCVEmailAddress: 'postmaster@example.com' })
    expect(answer.errorCode).toBe(0)
    const domains = (await order(sim, '1000002')).domains
    expect(domains.find((d) => d.domainName === 'shop.example.com')).toMatchObject({ method: 'EMAIL', email: 'postmaster@example.com' })
    expect(domains.find((d) => d.domainName === 'example.com')).toMatchObject({ method: 'EMAIL', email: 'admin@example.com' })
  })

  it('takes dcvTemplateID as a positive integer only (-4)', async () => {
    expect((await dcv(sim, { orderNumber: '1000001', newMethod: 'CNAME_CSR_HASH', dcvTemplateID: '12' })).errorCode).toBe(0)
    for (const id of ['0', '-1', '1.5', 'abc', '', '012', '2147483648']) {
      const answer = await dcv(sim, { orderNumber: '1000001', newMethod: 'CNAME_CSR_HASH', dcvTemplateID: id })
      expect([answer.errorCode, answer.errorItem], id).toEqual([-4, 'dcvTemplateID'])
    }
  })
})

describe('AutoUpdateDCV: multi-domain form', () => {
  it('updates several domains, e-mail addresses matched to the EMAIL methods in order', async () => {
    const answer = await dcv(sim, {
      orderNumber: '1000002',
      domainNames: 'example.com shop.example.com www.example.com',
      newMethods: 'EMAIL CNAME_CSR_HASH EMAIL',
      newDCVEmailAddresses: 'hostmaster@example.com webmaster@www.example.com'
    })
    expect(answer.errorCode).toBe(0)
    const byName = Object.fromEntries((await order(sim, '1000002')).domains.map((d) => [d.domainName, d]))
    expect(byName['example.com']).toMatchObject({ method: 'EMAIL', email: 'hostmaster@example.com' })
    expect(byName['shop.example.com']).toMatchObject({ method: 'CNAME_CSR_HASH', email: null })
    expect(byName['www.example.com']).toMatchObject({ method: 'EMAIL', email: 'webmaster@www.example.com' })
  })

  it('applies the 32-character limit of newMethods per method, not to the joined value', async () => {
    const methods = 'HTTPS_CSR_HASH HTTPS_CSR_HASH HTTPS_CSR_HASH'
    expect(methods.length).toBeGreaterThan(32)
    const answer = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com www.example.com shop.example.com', newMethods: methods })
    expect(answer.errorCode).toBe(0)
  })

  it('reads form rules: + is a space in the lists', async () => {
    const body = `${new URLSearchParams(LOGIN).toString()}&orderNumber=1000002&domainNames=example.com+shop.example.com&newMethods=CNAME_CSR_HASH+HTTP_CSR_HASH`
    const reply = await sim.inject({
      method: 'POST',
      url: '/products/!AutoUpdateDCV',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: body
    })
    expect(reply.body).toBe('errorCode=0')
    expect((await order(sim, '1000002')).domains[2]).toMatchObject({ domainName: 'shop.example.com', method: 'HTTP_CSR_HASH' })
  })

  it('needs as many methods as domains, in the same order (-4 on newMethods)', async () => {
    const fewer = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com shop.example.com', newMethods: 'CNAME_CSR_HASH' })
    expect([fewer.errorCode, fewer.errorItem]).toEqual([-4, 'newMethods'])
    const more = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com', newMethods: 'CNAME_CSR_HASH CNAME_CSR_HASH' })
    expect([more.errorCode, more.errorItem]).toEqual([-4, 'newMethods'])
    const bad = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com', newMethods: 'cname_csr_hash' })
    expect([bad.errorCode, bad.errorItem]).toEqual([-4, 'newMethods'])
  })

  it('needs one address per EMAIL method, in the order of those domains (-4 on newDCVEmailAddresses)', async () => {
    const fields = { orderNumber: '1000002', domainNames: 'example.com shop.example.com', newMethods: 'EMAIL EMAIL' }
    const tooFew = await dcv(sim, { ...fields, newDCVEmailAddresses: 'admin@example.com' })
    expect([tooFew.errorCode, tooFew.errorItem]).toEqual([-4, 'newDCVEmailAddresses'])
    // shop.example.com's address first: it does not fit example.com, the first EMAIL domain.
    const swapped = await dcv(sim, { ...fields, newDCVEmailAddresses: 'admin@shop.example.com admin@example.com' })
    expect([swapped.errorCode, swapped.errorItem]).toEqual([-4, 'newDCVEmailAddresses'])
    const unwanted = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com', newMethods: 'CNAME_CSR_HASH', newDCVEmailAddresses: 'admin@example.com' })
    expect([unwanted.errorCode, unwanted.errorItem]).toEqual([-4, 'newDCVEmailAddresses'])
    expect((await dcv(sim, { ...fields, newDCVEmailAddresses: 'admin@example.com admin@shop.example.com' })).errorCode).toBe(0)
  })

  it('needs domainNames, newMethods, and the addresses when a method is EMAIL (-3)', async () => {
    const noNames = await dcv(sim, { orderNumber: '1000002', newMethods: 'EMAIL' })
    expect([noNames.errorCode, noNames.errorItem]).toEqual([-3, 'domainNames'])
    const noMethods = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com' })
    expect([noMethods.errorCode, noMethods.errorItem]).toEqual([-3, 'newMethods'])
    const noEmails = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com www.example.com', newMethods: 'CNAME_CSR_HASH EMAIL' })
    expect([noEmails.errorCode, noEmails.errorMessage]).toEqual([-3, missing('newDCVEmailAddresses')])
  })

  it('refuses unknown or repeated domains (-4 on domainNames) and a mix of the two forms (-4)', async () => {
    const unknown = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com other.example', newMethods: 'CNAME_CSR_HASH CNAME_CSR_HASH' })
    expect([unknown.errorCode, unknown.errorItem]).toEqual([-4, 'domainNames'])
    const repeated = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com EXAMPLE.com', newMethods: 'CNAME_CSR_HASH CNAME_CSR_HASH' })
    expect([repeated.errorCode, repeated.errorItem]).toEqual([-4, 'domainNames'])
    const mixed = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com', newMethods: 'CNAME_CSR_HASH', newMethod: 'CNAME_CSR_HASH' })
    expect([mixed.errorCode, mixed.errorItem]).toEqual([-4, 'newMethod'])
  })
})

describe('AutoUpdateDCV: order lookup', () => {
  it('finds an order by baseOrderNumber and updates it', async () => {
    expect((await dcv(sim, { baseOrderNumber: '5000001', newMethod: 'CNAME_CSR_HASH' })).errorCode).toBe(0)
    expect((await order(sim, '1000001')).domains[0]?.method).toBe('CNAME_CSR_HASH')
    const multi = await dcv(sim, { baseOrderNumber: '5000002', domainNames: 'example.com', newMethods: 'HTTP_CSR_HASH' })
    expect(multi.errorCode).toBe(0)
    expect((await order(sim, '1000002')).domains[0]?.method).toBe('HTTP_CSR_HASH')
  })

  it('needs orderNumber or baseOrderNumber (-3 orderNumber), and refuses both (-4 baseOrderNumber)', async () => {
    const neither = await dcv(sim, { newMethod: 'CNAME_CSR_HASH' })
    expect([neither.errorCode, neither.errorMessage, neither.errorItem]).toEqual([-3, missing('orderNumber'), 'orderNumber'])
    const both = await dcv(sim, { orderNumber: '1000001', baseOrderNumber: '5000001', newMethod: 'CNAME_CSR_HASH' })
    expect([both.errorCode, both.errorItem]).toEqual([-4, 'baseOrderNumber'])
  })

  it('refuses unknown, malformed, issued, expired and mark-certificate orders (-4 on the argument given)', async () => {
    for (const orderNumber of ['1999999', 'abc', '01000001', '1000003', '2000001', '2000002', '2000003', '5000001']) {
      const answer = await dcv(sim, { orderNumber, newMethod: 'CNAME_CSR_HASH' })
      expect([answer.errorCode, answer.errorMessage, answer.errorItem], orderNumber).toEqual([-4, invalid('orderNumber'), 'orderNumber'])
    }
    const base = await dcv(sim, { baseOrderNumber: '1000001', newMethod: 'CNAME_CSR_HASH' })
    expect([base.errorCode, base.errorItem]).toEqual([-4, 'baseOrderNumber'])
  })
})

describe("AutoUpdateDCV: the order's state", () => {
  it('-126 for HTTP(S) CSR hash on a wildcard domain, in either form', async () => {
    const message = 'HTTP(S) CSR Hash DCV Methods are not allowed to validate Wildcard Domain!'
    for (const method of ['HTTP_CSR_HASH', 'HTTPS_CSR_HASH']) {
      const single = await dcv(sim, { orderNumber: '1000002', domainName: '*.example.org', newMethod: method })
      expect([single.errorCode, single.errorMessage]).toEqual([-126, message])
      const multi = await dcv(sim, { orderNumber: '1000002', domainNames: 'example.com *.example.org', newMethods: `CNAME_CSR_HASH ${method}` })
      expect([multi.errorCode, multi.errorMessage]).toEqual([-126, message])
    }
    expect((await order(sim, '1000002')).domains[0]?.method).toBe('EMAIL')
    expect((await dcv(sim, { orderNumber: '1000002', domainName: '*.example.org', newMethod: 'CNAME_CSR_HASH' })).errorCode).toBe(0)
    const email = await dcv(sim, { orderNumber: '1000002', domainName: '*.example.org', newMethod: 'EMAIL', newDCVEmailAddress: 'admin@example.org' })
    expect(email.errorCode).toBe(0)
  })

  it('-47 for a domain already validated; the pending one of the same order still changes', async () => {
    const validated = await dcv(sim, { orderNumber: '1000004', domainName: 'example.net', newMethod: 'CNAME_CSR_HASH' })
    expect([validated.errorCode, validated.errorMessage]).toEqual([-47, 'domainName is already validated!'])
    const inList = await dcv(sim, { orderNumber: '1000004', domainNames: 'www.example.net example.net', newMethods: 'CNAME_CSR_HASH CNAME_CSR_HASH' })
    expect(inList.errorCode).toBe(-47)
    expect((await order(sim, '1000004')).domains.map((d) => d.method)).toEqual(['EMAIL', 'EMAIL'])
    expect((await dcv(sim, { orderNumber: '1000004', domainName: 'www.example.net', newMethod: 'CNAME_CSR_HASH' })).errorCode).toBe(0)
  })

  it('-139 for an order on hold, once the arguments are valid', async () => {
    const answer = await dcv(sim, { orderNumber: '1000005', newMethod: 'CNAME_CSR_HASH' })
    expect([answer.errorCode, answer.errorMessage, answer.errorItem]).toEqual([-139, 'Unexpected certificate state!', undefined])
    expect((await dcv(sim, { orderNumber: '1000005', newMethod: 'FTP' })).errorCode).toBe(-4)
  })

  it('-90 when the voucher cannot be used with the order', async () => {
    const answer = await dcv(sim, { orderNumber: '1000006', newMethod: 'CNAME_CSR_HASH' })
    expect([answer.errorCode, answer.errorMessage]).toEqual([-90, "Permission denied for using 'voucher' with '1000006'"])
    expect((await order(sim, '1000006')).domains[0]?.method).toBe('EMAIL')
  })
})

describe('AutoUpdateDCV: the checks before any order is read', () => {
  it('-17 for GET and any method but POST', async () => {
    const query = new URLSearchParams({ ...LOGIN, orderNumber: '1000001', newMethod: 'CNAME_CSR_HASH' })
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) {
      const response = await sim.inject({ method, url: `/products/!AutoUpdateDCV?${query}` })
      const answer = readUrlEncoded({ status: response.statusCode, contentType: String(response.headers['content-type']), body: response.body })
      expect([answer.errorCode, answer.errorMessage], method).toEqual([-17, 'Request used GET rather than POST!'])
    }
    expect((await order(sim, '1000001')).domains[0]?.method).toBe('EMAIL')
  })

  it('-2 for a name outside the table, with the name, before the login is checked', async () => {
    for (const name of ['responseFormat', 'OrderNumber', 'ordernumber', 'newMethodS', 'showTotalCost', 'dcvTemplateId']) {
      const answer = await dcv(sim, { orderNumber: '1000001', newMethod: 'CNAME_CSR_HASH', [name]: '1', loginPassword: 'wrong' })
      expect([answer.errorCode, answer.errorMessage, answer.errorItem], name).toEqual([-2, `'${name}' is an unrecognized argument!`, name])
    }
  })

  it('-3 for a missing or empty login argument', async () => {
    const noName = await post(sim, '!AutoUpdateDCV', { loginPassword: LOGIN.loginPassword, orderNumber: '1000001' })
    expect(readUrlEncoded(noName)).toMatchObject({ errorCode: -3, errorMessage: missing('loginName'), errorItem: 'loginName' })
    const emptyPassword = await post(sim, '!AutoUpdateDCV', { loginName: LOGIN.loginName, loginPassword: '', orderNumber: '1000001' })
    expect(readUrlEncoded(emptyPassword)).toMatchObject({ errorCode: -3, errorItem: 'loginPassword' })
  })

  it('-16 for a wrong name or password (both case-sensitive), before the order is read', async () => {
    const message = 'Incorrect login details, account is locked, password has expired or your source IP is blocked.'
    for (const login of [
      { loginName: LOGIN.loginName, loginPassword: 'wrong' },
      { loginName: LOGIN.loginName.toUpperCase(), loginPassword: LOGIN.loginPassword },
      { loginName: LOGIN.loginName, loginPassword: LOGIN.loginPassword.toUpperCase() }
    ]) {
      const reply = await post(sim, '!AutoUpdateDCV', { ...login, orderNumber: 'not-a-number' })
      expect(readUrlEncoded(reply)).toMatchObject({ errorCode: -16, errorMessage: message, errorItem: undefined })
    }
  })

  it('-4 for a repeated argument, after the login', async () => {
    const reply = await post(sim, '!AutoUpdateDCV', [
      ['loginName', LOGIN.loginName],
      ['loginPassword', LOGIN.loginPassword],
      ['orderNumber', '1000001'],
      ['newMethod', 'CNAME_CSR_HASH'],
      ['newMethod', 'CNAME_CSR_HASH']
    ])
    expect(readUrlEncoded(reply)).toMatchObject({ errorCode: -4, errorItem: 'newMethod' })
  })

  it('reads form bodies only: another media type, or none, carries no arguments (-3 loginName)', async () => {
    const json = await sim.inject({
      method: 'POST',
      url: '/products/!AutoUpdateDCV',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...LOGIN, orderNumber: '1000001', newMethod: 'CNAME_CSR_HASH' })
    })
    expect(json.body).toBe('errorCode=-3&errorMessage=The+%27loginName%27+argument+is+missing%21&errorItem=loginName')
    const empty = await sim.inject({ method: 'POST', url: '/products/!AutoUpdateDCV' })
    expect(new URLSearchParams(empty.body).get('errorCode')).toBe('-3')
    const query = await sim.inject({ method: 'POST', url: `/products/!AutoUpdateDCV?${new URLSearchParams(LOGIN)}` })
    expect(new URLSearchParams(query.body).get('errorItem')).toBe('loginName')
  })
})
