import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SECTIGO_CODES } from '../../src/sectigo/error-codes.js'
import type { Endpoint } from '../../src/sectigo/fields.js'
import { PROBLEM_TYPES } from '../../src/problems/problem-types.js'
import { LOGIN_NAME, LOGIN_PASSWORD, buildTestApp, type TestApp } from '../helpers/test-app.js'
import { expectCall, noPendingCalls } from '../helpers/upstream.js'

let t: TestApp
beforeEach(async () => {
  t = await buildTestApp()
})
afterEach(async () => {
  await t.app.close()
})

const CREDENTIALS: Array<[string, string]> = [
  ['loginName', LOGIN_NAME],
  ['loginPassword', LOGIN_PASSWORD]
]

const LIST_TEXT = '0\ndomain_name\twww.example.com\nwhois_email\tregistrant@example.com\nlevel2_email\tadmin@example.com\nlevel3_email\tadmin@www.example.com\n'
const DETAILS_OK = 'errorCode=0&1_domainName=mail.example.com&1_dcvMethod=EMAIL&1_dcvStatus=Awaiting+Validation'
const STATUS_OK = 'errorCode=0&certificateStatus=Issued&validationStatus=Validated&1_replacementOrderNumber=3000001'

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers })
const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })

describe('GET /domains/{domainName}/dcv-email-addresses', () => {
  it('sends domainName and the fixed text format, field by field, and answers the list', async () => {
    const call = expectCall(t, '!GetDCVEmailAddressList', LIST_TEXT)
    const res = await get('/domains/www.example.com/dcv-email-addresses')
    expect(res.statusCode, res.body).toBe(200)
    expect(call.fields()).toEqual([...CREDENTIALS, ['domainName', 'www.example.com'], ['responseFormat', '1']])
    expect(res.json().emailAddresses.map((a: { email: string }) => a.email)).toEqual([
      'registrant@example.com',
      'admin@www.example.com',
      'admin@example.com'
    ])
    expect(res.json().acceptedUntil).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
    noPendingCalls(t.agent)
  })

  it.each([
    ['VMC', '801'],
    ['CMC', '803']
  ])('product=%s is sent as %s', async (product, code) => {
    const call = expectCall(t, '!GetDCVEmailAddressList', LIST_TEXT)
    await get(`/domains/brand.example/dcv-email-addresses?product=${product}`)
    expect(call.fields()).toEqual([...CREDENTIALS, ['domainName', 'brand.example'], ['product', code], ['responseFormat', '1']])
  })

  it('a wildcard domain is carried exactly', async () => {
    const call = expectCall(t, '!GetDCVEmailAddressList', LIST_TEXT)
    await get('/domains/*.example.org/dcv-email-addresses')
    expect(call.fields()[2]).toEqual(['domainName', '*.example.org'])
  })

  it.each([
    ['an ampersand', 'a%26b.example.com'],
    ['an equals sign', 'a%3Db.example.com'],
    ['a percent sign', 'a%25b.example.com'],
    ['a plus sign', 'a+b.example.com'],
    ['a control character', 'a%0Ab.example.com'],
    ['Unicode', 'b%C3%BCcher.example'],
    ['one label', 'localhost']
  ])('refuses a domain with %s before any call', async (_name, domain) => {
    const res = await get(`/domains/${domain}/dcv-email-addresses`)
    expect(res.statusCode).toBe(400)
    expect(res.json().type).toBe('/problems/validation-failed')
    noPendingCalls(t.agent)
  })

  it('refuses an unknown product and unknown query parameters', async () => {
    expect((await get('/domains/example.com/dcv-email-addresses?product=SSL')).statusCode).toBe(400)
    expect((await get('/domains/example.com/dcv-email-addresses?responseFormat=2')).statusCode).toBe(400)
  })

  it('?dryRun=true answers the fields with the password redacted and calls nothing', async () => {
    const res = await get('/domains/example.com/dcv-email-addresses?dryRun=true&product=CMC')
    expect(res.json()).toEqual({
      dryRun: true,
      endpoint: '!GetDCVEmailAddressList',
      fields: { loginName: LOGIN_NAME, loginPassword: '[redacted]', domainName: 'example.com', product: '803', responseFormat: '1' }
    })
    noPendingCalls(t.agent)
  })

  it('a success listing nothing is 502 upstream-bad-response', async () => {
    expectCall(t, '!GetDCVEmailAddressList', '0\ndomain_name\texample.com\n')
    const res = await get('/domains/example.com/dcv-email-addresses')
    expect(res.statusCode).toBe(502)
    expect(res.json().type).toBe('/problems/upstream-bad-response')
  })

  it('an error in the text format carries its message; -4 on domainName points at the path parameter', async () => {
    expectCall(t, '!GetDCVEmailAddressList', "-4\nThe value of the 'domainName' argument is invalid!\n")
    const res = await get('/domains/example.com/dcv-email-addresses')
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({
      type: '/problems/invalid-argument',
      sectigo: { errorCode: -4, errorMessage: "The value of the 'domainName' argument is invalid!" },
      errors: [{ parameter: 'domainName' }]
    })
  })
})

describe('POST /orders/{orderNumber}/dcv/resend', () => {
  it('with no body: only the order is sent', async () => {
    const call = expectCall(t, '!ResendDCVEmail')
    const res = await post('/orders/1000007/dcv/resend')
    expect(res.statusCode, res.body).toBe(200)
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '1000007']])
    expect(res.json()).toEqual({ orderNumber: '1000007' })
  })

  it('with every member, field by field', async () => {
    const call = expectCall(t, '!ResendDCVEmail')
    const res = await post('/orders/1000007/dcv/resend', { email: 'admin@example.com', dcvTemplateId: 12 })
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '1000007'], ['dcvEmailAddress', 'admin@example.com'], ['dcvTemplateID', '12']])
    expect(res.json()).toEqual({ orderNumber: '1000007', email: 'admin@example.com', dcvTemplateId: 12 })
  })

  it('the base-order route sends baseOrderNumber', async () => {
    const call = expectCall(t, '!ResendDCVEmail')
    const res = await post('/base-orders/5000007/dcv/resend', {})
    expect(call.fields()).toEqual([...CREDENTIALS, ['baseOrderNumber', '5000007']])
    expect(res.json()).toEqual({ baseOrderNumber: '5000007' })
  })

  it('carries a hostile local part exactly, in its own field', async () => {
    const email = "a&b=c%2B+d'x@example.com"
    const call = expectCall(t, '!ResendDCVEmail')
    await post('/orders/1/dcv/resend', { email })
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '1'], ['dcvEmailAddress', email]])
    expect(call.body()).toContain("dcvEmailAddress=a%26b%3Dc%252B%2Bd'x%40example.com")
  })

  it.each([
    ['a control character', { email: 'a\u0007b@example.com' }],
    ['a newline', { email: 'admin@example.com\nBcc: x@y.example' }],
    ['Unicode', { email: 'ü@example.com' }],
    ['an unknown member', { email: 'admin@example.com', loginName: 'x' }],
    ['a template of 0', { dcvTemplateId: 0 }],
    ['a template as a string', { dcvTemplateId: '12' }]
  ])('refuses %s before any call', async (_name, body) => {
    const res = await post('/orders/1/dcv/resend', body)
    expect(res.statusCode).toBe(400)
    noPendingCalls(t.agent)
  })

  it('-4 on dcvEmailAddress points at #/email; on orderNumber at the base-order parameter', async () => {
    expectCall(t, '!ResendDCVEmail', 'errorCode=-4&errorMessage=The+value+of+the+%27dcvEmailAddress%27+argument+is+invalid%21&errorItem=dcvEmailAddress')
    const res = await post('/orders/1/dcv/resend', { email: 'someone@example.com' })
    expect(res.statusCode).toBe(422)
    expect(res.json().errors).toEqual([{ pointer: '#/email', detail: "The value of the 'dcvEmailAddress' argument is invalid!" }])
    expectCall(t, '!ResendDCVEmail', 'errorCode=-4&errorMessage=The+value+of+the+%27orderNumber%27+argument+is+invalid%21&errorItem=orderNumber')
    const base = await post('/base-orders/5/dcv/resend', {})
    expect(base.json().errors[0].parameter).toBe('baseOrderNumber')
  })

  it('an error before the request is written is retried at most twice, then 503: nothing was sent', async () => {
    // MockAgent fails a replyWithError before the first byte is written; lost after writing: call-path tests.
    for (let i = 0; i < 3; i++) {
      t.upstream.intercept({ path: '/products/!ResendDCVEmail', method: 'POST' }).replyWithError(Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET' }))
    }
    const res = await post('/orders/1/dcv/resend', {})
    expect(res.statusCode).toBe(503)
    expect(res.json().outcome).toBeUndefined()
    noPendingCalls(t.agent)
  })

  it('a refused connection is retried (nothing was sent)', async () => {
    t.upstream.intercept({ path: '/products/!ResendDCVEmail', method: 'POST' }).replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
    expectCall(t, '!ResendDCVEmail')
    expect((await post('/orders/1/dcv/resend', {})).statusCode).toBe(200)
  })

  it('an Idempotency-Key repeat is answered from the store and sends no second e-mail', async () => {
    expectCall(t, '!ResendDCVEmail')
    const headers = { 'idempotency-key': 'resend-1' }
    const first = await post('/orders/1000007/dcv/resend', { email: 'admin@example.com' }, headers)
    const again = await post('/orders/1000007/dcv/resend', { email: 'admin@example.com' }, headers)
    expect(first.statusCode).toBe(200)
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.body).toBe(first.body)
    noPendingCalls(t.agent)
  })

  it('?dryRun=true calls nothing', async () => {
    const res = await post('/orders/1000007/dcv/resend?dryRun=true', { email: 'admin@example.com' })
    expect(res.json().fields).toEqual({ loginName: LOGIN_NAME, loginPassword: '[redacted]', orderNumber: '1000007', dcvEmailAddress: 'admin@example.com' })
  })
})

describe('GET /orders/{orderNumber}/dcv', () => {
  it('sends the order and the fixed format, answers each domain', async () => {
    const call = expectCall(t, '!GetMDCDomainDetails', DETAILS_OK)
    const res = await get('/orders/1000007/dcv')
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '1000007'], ['responseFormat', '1']])
    expect(res.json()).toEqual({
      orderNumber: '1000007',
      allValidated: false,
      domains: [{ domainName: 'mail.example.com', method: 'EMAIL', sectigoMethod: 'EMAIL', state: 'PENDING', sectigoStatus: 'Awaiting Validation' }]
    })
  })

  it('a read is retried on a lost connection and on a timeout', async () => {
    t.upstream.intercept({ path: '/products/!GetMDCDomainDetails', method: 'POST' }).replyWithError(Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET' }))
    t.upstream.intercept({ path: '/products/!GetMDCDomainDetails', method: 'POST' }).replyWithError(Object.assign(new Error('closed'), { code: 'ECONNRESET' }))
    expectCall(t, '!GetMDCDomainDetails', DETAILS_OK)
    const res = await get('/orders/1000007/dcv')
    expect(res.statusCode).toBe(200)
    noPendingCalls(t.agent)
  })

  it('at most twice: the third failed attempt is the answer', async () => {
    for (let i = 0; i < 3; i++) {
      t.upstream.intercept({ path: '/products/!GetMDCDomainDetails', method: 'POST' }).replyWithError(Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET' }))
    }
    const res = await get('/orders/1000007/dcv')
    expect(res.statusCode).toBe(503)
    noPendingCalls(t.agent)
  })

  it('an HTTP error page is an answer, not a transport failure: not retried', async () => {
    expectCall(t, '!GetMDCDomainDetails', { status: 500, body: '<html>oops</html>' })
    expect((await get('/orders/1/dcv')).statusCode).toBe(502)
    noPendingCalls(t.agent)
  })

  it('refuses a bad order number before any call', async () => {
    for (const n of ['0123', 'abc', '1%262', '12345678901234567890']) expect((await get(`/orders/${n}/dcv`)).statusCode).toBe(400)
    noPendingCalls(t.agent)
  })
})

describe('GET /orders/{orderNumber}', () => {
  it('sends queryType 2 with the validity period, answers status and replacements', async () => {
    const call = expectCall(t, '!GetDetailedOrderStatus', STATUS_OK)
    const res = await get('/orders/2000001')
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '2000001'], ['queryType', '2'], ['showValidityPeriod', 'Y'], ['responseFormat', '1']])
    expect(res.json()).toEqual({
      orderNumber: '2000001',
      state: 'ISSUED',
      certificateStatus: 'Issued',
      validationStatus: 'Validated',
      replacementOrders: [{ orderNumber: '3000001' }]
    })
  })

  it('a timeout is retried for a read', async () => {
    const slow = await buildTestApp({ SECTIGO_TIMEOUT_MS: '150', SECTIGO_CONNECT_TIMEOUT_MS: '100' })
    slow.upstream.intercept({ path: '/products/!GetDetailedOrderStatus', method: 'POST' }).reply(200, STATUS_OK).delay(1000)
    slow.upstream.intercept({ path: '/products/!GetDetailedOrderStatus', method: 'POST' }).reply(200, STATUS_OK)
    const res = await slow.app.inject({ method: 'GET', url: '/orders/2000001' })
    expect(res.statusCode).toBe(200)
    await slow.app.close()
  })
})

const ROUTES: ReadonlyArray<{ endpoint: Endpoint; call: () => ReturnType<typeof get>; reply: (body: string) => string }> = [
  { endpoint: '!GetDCVEmailAddressList', call: () => get('/domains/example.com/dcv-email-addresses'), reply: (b) => b },
  { endpoint: '!ResendDCVEmail', call: () => post('/orders/1/dcv/resend', {}), reply: (b) => b },
  { endpoint: '!GetMDCDomainDetails', call: () => get('/orders/1/dcv'), reply: (b) => b },
  { endpoint: '!GetDetailedOrderStatus', call: () => get('/orders/1'), reply: (b) => b }
]

describe('every error code of each page, on its route', () => {
  const cases = ROUTES.flatMap((route) =>
    Object.entries(SECTIGO_CODES)
      .filter(([, c]) => c.endpoints.includes(route.endpoint))
      .map(([code, c]) => [route.endpoint, Number(code), c.slug, route] as const)
  )

  it('each new endpoint has the codes every page lists', () => {
    for (const route of ROUTES) {
      const codes = Object.entries(SECTIGO_CODES).filter(([, c]) => c.endpoints.includes(route.endpoint)).map(([code]) => Number(code))
      expect(codes.sort((a, b) => a - b), route.endpoint).toEqual([-42, -17, -16, -14, -4, -3, -2, -1])
    }
  })

  it.each(cases)('%s %i', async (endpoint, code, slug, route) => {
    // -3/-4 on an argument the service owns (loginName) is the service's fault.
    const item = code === -3 || code === -4 ? 'loginName' : undefined
    const expectedSlug = item ? 'upstream-rejected-request' : slug
    const message = `message for ${code}`
    const body =
      endpoint === '!GetDCVEmailAddressList'
        ? `${code}\n${message} '${item ?? ''}'\n`
        : new URLSearchParams({ errorCode: String(code), errorMessage: message, ...(item ? { errorItem: item } : {}) }).toString()
    expectCall(t, endpoint, route.reply(body))
    const res = await route.call()
    expect(res.statusCode).toBe(PROBLEM_TYPES[expectedSlug].status)
    expect(res.json()).toMatchObject({ type: `/problems/${expectedSlug}`, sectigo: { errorCode: code } })
  })
})

describe('scopes: each stands alone', () => {
  const sha = (key: string) => createHash('sha256').update(key).digest('hex')
  const keys = { writer: 'spk_writer-0123456789abcdef0123', reader: 'spk_reader-0123456789abcdef0123', orders: 'spk_orders-0123456789abcdef0123' }
  let s: TestApp
  beforeEach(async () => {
    s = await buildTestApp({
      ALLOW_UNAUTHENTICATED: 'false',
      API_KEYS: JSON.stringify([
        { id: 'writer', sha256: sha(keys.writer), scopes: ['dcv:write'] },
        { id: 'reader', sha256: sha(keys.reader), scopes: ['dcv:read'] },
        { id: 'orders', sha256: sha(keys.orders), scopes: ['orders:read'] }
      ])
    })
  })
  afterEach(async () => {
    await s.app.close()
  })
  const as = (key: string) => ({ authorization: `Bearer ${key}` })

  it.each([
    ['writer', 'GET', '/domains/example.com/dcv-email-addresses', 403],
    ['writer', 'GET', '/orders/1/dcv', 403],
    ['writer', 'GET', '/orders/1', 403],
    ['reader', 'POST', '/orders/1/dcv/resend', 403],
    ['reader', 'GET', '/orders/1', 403],
    ['orders', 'GET', '/orders/1/dcv', 403],
    ['orders', 'POST', '/base-orders/1/dcv/resend', 403]
  ] as const)('%s: %s %s is %i', async (who, method, url, status) => {
    const res = await s.app.inject({ method, url, headers: as(keys[who]), ...(method === 'POST' ? { payload: {} } : {}) })
    expect(res.statusCode).toBe(status)
    expect(res.json().detail).toMatch(/lacks the scope/)
  })

  it('without a key: 401 on every new route', async () => {
    for (const url of ['/domains/example.com/dcv-email-addresses', '/orders/1/dcv', '/orders/1']) {
      expect((await s.app.inject({ method: 'GET', url })).statusCode).toBe(401)
    }
  })

  it('with the right scope: dry runs answer 200', async () => {
    expect((await s.app.inject({ method: 'GET', url: '/domains/example.com/dcv-email-addresses?dryRun=true', headers: as(keys.reader) })).statusCode).toBe(200)
    expect((await s.app.inject({ method: 'GET', url: '/orders/1/dcv?dryRun=true', headers: as(keys.reader) })).statusCode).toBe(200)
    expect((await s.app.inject({ method: 'GET', url: '/orders/1?dryRun=true', headers: as(keys.orders) })).statusCode).toBe(200)
    expect((await s.app.inject({ method: 'POST', url: '/orders/1/dcv/resend?dryRun=true', headers: as(keys.writer), payload: {} })).statusCode).toBe(200)
  })
})

describe('audit line and metrics', () => {
  it('a read writes one audit line with the route, the order and the code, and counts the endpoint', async () => {
    expectCall(t, '!GetMDCDomainDetails', DETAILS_OK)
    await get('/orders/1000007/dcv')
    const audit = t.logs.records().filter((l) => l.audit === true)
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ method: 'GET', route: '/orders/:orderNumber/dcv', orderNumber: '1000007', statusCode: 200, sectigoCode: 0 })
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.body).toMatch(/endpoint="!GetMDCDomainDetails"/)
  })
})

describe('a read that fails after it was sent', () => {
  it('is not called unknown: a read changes nothing, and the detail says to repeat it', async () => {
    expectCall(t, '!GetMDCDomainDetails', { status: 500, body: '<html>oops</html>' })
    const res = await t.app.inject({ method: 'GET', url: '/orders/1000007/dcv' })
    expect(res.statusCode).toBe(502)
    expect(res.json().outcome).toBeUndefined()
    expect(res.json().detail).toMatch(/A read changes nothing at Sectigo: repeat it\./)
  })
})
