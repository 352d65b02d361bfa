import { afterEach, beforeEach, describe, expect, it } from 'vitest'
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

function post(url: string, payload: unknown) {
  return t.app.inject({ method: 'POST', url, payload: payload as object })
}

describe('AutoUpdateDCV fields, field by field', () => {
  it('single shape with every member', async () => {
    const call = expectCall(t, '!AutoUpdateDCV')
    const res = await post('/orders/1234567/dcv', { method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com', dcvTemplateId: 12 })
    expect(res.statusCode).toBe(200)
    expect(call.fields()).toEqual([
      ...CREDENTIALS,
      ['orderNumber', '1234567'],
      ['domainName', 'www.example.com'],
      ['newMethod', 'EMAIL'],
      ['newDCVEmailAddress', 'admin@example.com'],
      ['dcvTemplateID', '12']
    ])
    expect(res.json()).toEqual({
      orderNumber: '1234567',
      domains: [{ domainName: 'www.example.com', method: 'EMAIL', email: 'admin@example.com' }],
      dcvTemplateId: 12
    })
    noPendingCalls(t.agent)
  })

  it('single shape without a domain name (a single-domain order)', async () => {
    const call = expectCall(t, '!AutoUpdateDCV')
    const res = await post('/orders/1234567/dcv', { method: 'CNAME_CSR_HASH' })
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '1234567'], ['newMethod', 'CNAME_CSR_HASH']])
    expect(res.json()).toEqual({ orderNumber: '1234567', domains: [{ method: 'CNAME_CSR_HASH' }] })
  })

  it.each(['HTTP_CSR_HASH', 'HTTPS_CSR_HASH', 'CNAME_CSR_HASH'])('single shape with %s and a domain', async (method) => {
    const call = expectCall(t, '!AutoUpdateDCV')
    await post('/orders/9/dcv', { method, domainName: 'shop.example.com' })
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '9'], ['domainName', 'shop.example.com'], ['newMethod', method]])
  })

  it('multi shape: space-joined lists, e-mails of the EMAIL entries only, in order', async () => {
    const call = expectCall(t, '!AutoUpdateDCV')
    const domains = [
      { domainName: 'example.com', method: 'EMAIL', email: 'admin@example.com' },
      { domainName: 'shop.example.com', method: 'CNAME_CSR_HASH' },
      { domainName: '*.example.org', method: 'EMAIL', email: 'hostmaster@example.org' },
      { domainName: 'www.example.com', method: 'HTTPS_CSR_HASH' }
    ]
    const res = await post('/orders/1234567/dcv', { domains, dcvTemplateId: 7 })
    expect(call.fields()).toEqual([
      ...CREDENTIALS,
      ['orderNumber', '1234567'],
      ['domainNames', 'example.com shop.example.com *.example.org www.example.com'],
      ['newMethods', 'EMAIL CNAME_CSR_HASH EMAIL HTTPS_CSR_HASH'],
      ['newDCVEmailAddresses', 'admin@example.com hostmaster@example.org'],
      ['dcvTemplateID', '7']
    ])
    expect(res.json()).toEqual({ orderNumber: '1234567', domains, dcvTemplateId: 7 })
  })

  it('multi shape without EMAIL entries sends no e-mail field', async () => {
    const call = expectCall(t, '!AutoUpdateDCV')
    await post('/orders/1/dcv', { domains: [{ domainName: 'a.example.com', method: 'HTTP_CSR_HASH' }] })
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '1'], ['domainNames', 'a.example.com'], ['newMethods', 'HTTP_CSR_HASH']])
  })

  it('the base-order route sends baseOrderNumber and echoes it', async () => {
    const call = expectCall(t, '!AutoUpdateDCV')
    const res = await post('/base-orders/5000001/dcv', { method: 'CNAME_CSR_HASH', domainName: 'www.example.com' })
    expect(call.fields()).toEqual([...CREDENTIALS, ['baseOrderNumber', '5000001'], ['domainName', 'www.example.com'], ['newMethod', 'CNAME_CSR_HASH']])
    expect(res.json()).toEqual({ baseOrderNumber: '5000001', domains: [{ domainName: 'www.example.com', method: 'CNAME_CSR_HASH' }] })
  })

  it('never sends responseFormat, and nothing outside the page table', async () => {
    const call = expectCall(t, '!AutoUpdateDCV')
    await post('/orders/1/dcv', { domains: [{ domainName: 'a.example.com', method: 'EMAIL', email: 'admin@a.example.com' }], dcvTemplateId: 1 })
    const names = call.fields().map(([n]) => n)
    expect(names).not.toContain('responseFormat')
    const table = ['loginName', 'loginPassword', 'orderNumber', 'baseOrderNumber', 'domainName', 'newMethod', 'newDCVEmailAddress', 'dcvTemplateID', 'domainNames', 'newMethods', 'newDCVEmailAddresses']
    expect(names.every((n) => table.includes(n))).toBe(true)
  })

  it('carries hostile e-mail local parts exactly, in their own field', async () => {
    const email = "a&loginPassword=x+%26'b=c@example.com"
    const call = expectCall(t, '!AutoUpdateDCV')
    const res = await post('/orders/1/dcv', { method: 'EMAIL', domainName: 'example.com', email })
    expect(res.statusCode).toBe(200)
    expect(call.fields()).toEqual([...CREDENTIALS, ['orderNumber', '1'], ['domainName', 'example.com'], ['newMethod', 'EMAIL'], ['newDCVEmailAddress', email]])
    expect(call.body()).toContain('newDCVEmailAddress=a%26loginPassword%3Dx%2B%2526\'b%3Dc%40example.com')
  })

  it('answers ?dryRun=true with the exact fields and the password redacted, calling nothing', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/1234567/dcv?dryRun=true', payload: { domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH' }] } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      dryRun: true,
      endpoint: '!AutoUpdateDCV',
      fields: { loginName: LOGIN_NAME, loginPassword: '[redacted]', orderNumber: '1234567', domainNames: 'a.example.com', newMethods: 'CNAME_CSR_HASH' }
    })
    expect(res.body).not.toContain(LOGIN_PASSWORD)
    noPendingCalls(t.agent)
  })
})

describe('validation before any call', () => {
  it.each([
    ['no body', undefined, '#'],
    ['an empty object', {}, '#/method'],
    ['EMAIL without email', { method: 'EMAIL' }, '#/email'],
    ['email with another method', { method: 'CNAME_CSR_HASH', email: 'admin@example.com' }, '#/email'],
    ['an unknown method', { method: 'DNS' }, '#/method'],
    ['an unknown member', { method: 'CNAME_CSR_HASH', orderNumber: '2' }, '#/orderNumber'],
    ['a bad domain', { method: 'CNAME_CSR_HASH', domainName: 'exa mple.com' }, '#/domainName'],
    ['a single-label domain', { method: 'CNAME_CSR_HASH', domainName: 'localhost' }, '#/domainName'],
    ['a label over 63', { method: 'CNAME_CSR_HASH', domainName: `${'a'.repeat(64)}.com` }, '#/domainName'],
    ['a template id of 0', { method: 'CNAME_CSR_HASH', dcvTemplateId: 0 }, '#/dcvTemplateId'],
    ['a template id as a string', { method: 'CNAME_CSR_HASH', dcvTemplateId: '12' }, '#/dcvTemplateId'],
    ['a template id too large', { method: 'CNAME_CSR_HASH', dcvTemplateId: 2147483648 }, '#/dcvTemplateId'],
    ['empty domains', { domains: [] }, '#/domains'],
    ['a domain without method', { domains: [{ domainName: 'a.example.com' }] }, '#/domains/0/method'],
    ['EMAIL entry without email', { domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH' }, { domainName: 'b.example.com', method: 'EMAIL' }] }, '#/domains/1/email'],
    ['an unknown member in an entry', { domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH', x: 1 }] }, '#/domains/0/x'],
    ['both shapes at once', { method: 'CNAME_CSR_HASH', domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH' }] }, '#/domains'],
    ['a control character', { method: 'EMAIL', domainName: 'example.com', email: 'admin\n@example.com' }, '#/email'],
    ['a duplicate domain ignoring case', { domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH' }, { domainName: 'A.Example.com', method: 'EMAIL', email: 'admin@example.com' }] }, '#/domains/1/domainName'],
    [
      'joined domain names over 255',
      { domains: Array.from({ length: 12 }, (_, i) => ({ domainName: `${'d'.repeat(18)}${i}.example.com`, method: 'CNAME_CSR_HASH' })) },
      '#/domains'
    ]
  ])('refuses %s with 400 validation-failed pointing at %s', async (_name, payload, pointer) => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/1234567/dcv', ...(payload === undefined ? {} : { payload }) })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    const problem = res.json()
    expect(problem).toMatchObject({ type: '/problems/validation-failed', status: 400, instance: '/orders/1234567/dcv' })
    expect(problem.errors[0].pointer).toBe(pointer)
    noPendingCalls(t.agent)
  })

  it.each([
    ['01234', 'a leading zero'],
    ['12345678901234567890', 'twenty digits'],
    ['-1', 'a sign'],
    ['12a', 'a letter']
  ])('refuses the order number %s (%s) with a parameter error', async (orderNumber) => {
    const res = await post(`/orders/${orderNumber}/dcv`, { method: 'CNAME_CSR_HASH' })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ parameter: 'orderNumber', detail: 'must be a decimal number of 1 to 19 digits without a leading zero' }])
  })

  it('refuses an unknown query parameter and a bad dryRun', async () => {
    expect((await post('/orders/1/dcv?dryRun=yes', { method: 'CNAME_CSR_HASH' })).json().errors[0].parameter).toBe('dryRun')
    expect((await post('/orders/1/dcv?debug=1', { method: 'CNAME_CSR_HASH' })).json().errors[0].parameter).toBe('debug')
  })

  it.each([
    [{ method: 'HTTP_CSR_HASH', domainName: '*.example.com' }, '#/method'],
    [{ domains: [{ domainName: 'a.example.com', method: 'EMAIL', email: 'admin@example.com' }, { domainName: '*.example.com', method: 'HTTPS_CSR_HASH' }] }, '#/domains/1/method']
  ])('answers a wildcard with HTTP(S) DCV with 422 before any call', async (payload, pointer) => {
    const res = await post('/orders/1/dcv', payload)
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ type: '/problems/wildcard-http-dcv-not-allowed', errors: [{ pointer }] })
    noPendingCalls(t.agent)
  })
})

describe('Sectigo error codes', () => {
  const msg = (code: number, message: string, item?: string) =>
    new URLSearchParams({ errorCode: String(code), errorMessage: message, ...(item ? { errorItem: item } : {}) }).toString()

  it.each([
    [-1, 'Request was not made over https!', undefined, 502, 'upstream-rejected-request'],
    [-2, "'responseFormat' is an unrecognized argument!", 'responseFormat', 502, 'upstream-rejected-request'],
    [-14, 'An unknown error occurred!', undefined, 502, 'upstream-error'],
    [-16, 'Incorrect login details, account is locked, password has expired or your source IP is blocked.', undefined, 502, 'upstream-authentication-failed'],
    [-17, 'Request used GET rather than POST!', undefined, 502, 'upstream-rejected-request'],
    [-42, 'Call limit reached, please try again later', undefined, 503, 'upstream-rate-limited'],
    [-47, 'domainName is already validated!', undefined, 409, 'domain-already-validated'],
    [-90, "Permission denied for using 'voucher' with '1234567'", undefined, 403, 'permission-denied'],
    [-126, 'HTTP(S) CSR Hash DCV Methods are not allowed to validate Wildcard Domain!', undefined, 422, 'wildcard-http-dcv-not-allowed'],
    [-139, 'Unexpected certificate state!', undefined, 409, 'unexpected-certificate-state'],
    [-160, 'The attempt to update the DCV method(s) did not succeed.', undefined, 502, 'upstream-operation-failed'],
    [-999, 'Something new', undefined, 502, 'upstream-error']
  ])('maps %i to %i %s with the sectigo member', async (code, message, item, status, slug) => {
    expectCall(t, '!AutoUpdateDCV', msg(code, message, item))
    const res = await post('/orders/1234567/dcv', { method: 'CNAME_CSR_HASH', domainName: 'www.example.com' })
    expect(res.statusCode).toBe(status)
    expect(res.json()).toMatchObject({
      type: `/problems/${slug}`,
      status,
      detail: message,
      instance: '/orders/1234567/dcv',
      sectigo: { errorCode: code, errorMessage: message }
    })
  })

  it('gives Retry-After 60 for -42', async () => {
    expectCall(t, '!AutoUpdateDCV', msg(-42, 'Call limit reached, please try again later'))
    const res = await post('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.headers['retry-after']).toBe('60')
  })

  it('-3 on a caller field: 422 pointing at the member', async () => {
    expectCall(t, '!AutoUpdateDCV', msg(-3, "The 'domainName' argument is missing!", 'domainName'))
    const res = await post('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ type: '/problems/invalid-argument', errors: [{ pointer: '#/domainName' }] })
  })

  it('-4 on orderNumber (unknown or already issued): 422 pointing at the path parameter', async () => {
    expectCall(t, '!AutoUpdateDCV', msg(-4, "The value of the 'orderNumber' argument is invalid!", 'orderNumber'))
    const res = await post('/orders/1000003/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.statusCode).toBe(422)
    expect(res.json().errors).toEqual([{ parameter: 'orderNumber', detail: "The value of the 'orderNumber' argument is invalid!" }])
  })

  it('-4 on the base-order route points at baseOrderNumber', async () => {
    expectCall(t, '!AutoUpdateDCV', msg(-4, "The value of the 'baseOrderNumber' argument is invalid!", 'baseOrderNumber'))
    const res = await post('/base-orders/77/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.json().errors[0].parameter).toBe('baseOrderNumber')
  })

  it('-4 on newMethods points at domains', async () => {
    expectCall(t, '!AutoUpdateDCV', msg(-4, "The value of the 'newMethods' argument is invalid!", 'newMethods'))
    const res = await post('/orders/1/dcv', { domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH' }] })
    expect(res.json().errors[0].pointer).toBe('#/domains')
  })

  it('-4 on a field the service owns is the service fault: 502', async () => {
    expectCall(t, '!AutoUpdateDCV', msg(-4, "The value of the 'loginName' argument is invalid!", 'loginName'))
    const res = await post('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.statusCode).toBe(502)
    expect(res.json().type).toBe('/problems/upstream-rejected-request')
    expect(res.json().errors).toBeUndefined()
  })
})

describe('upstream failures', () => {
  it('a refused connection is 503 upstream-unavailable after the retries, with Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
    }
    const res = await post('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('2')
    expect(res.json()).toMatchObject({ type: '/problems/upstream-unavailable' })
    expect(res.json().outcome).toBeUndefined()
    noPendingCalls(t.agent)
  })

  it('a connect failure then success is retried transparently', async () => {
    t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
    expectCall(t, '!AutoUpdateDCV')
    expect((await post('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })).statusCode).toBe(200)
  })

  it.each([
    ['an HTTP 500 page', { status: 500, body: '<html>oops</html>' }],
    ['an unparsable body', { status: 200, body: 'garbage' }],
    ['an empty body', { status: 200, body: '' }]
  ])('%s is 502 upstream-bad-response with unknown outcome', async (_name, reply) => {
    expectCall(t, '!AutoUpdateDCV', reply)
    const res = await post('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.statusCode).toBe(502)
    expect(res.json()).toMatchObject({ type: '/problems/upstream-bad-response', outcome: 'unknown' })
    expect(res.json().detail).toMatch(/may have been made/)
  })

  it('an error before the request is written is retried twice, then 503 upstream-unavailable: nothing was sent', async () => {
    // MockAgent fails a replyWithError before the request's first byte, as a refused connection does.
    t.upstream
      .intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' })
      .replyWithError(Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET' }))
      .times(3)
    const res = await post('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ type: '/problems/upstream-unavailable' })
    expect(res.json().outcome).toBeUndefined()
    t.agent.assertNoPendingInterceptors()
  })

  it('a timeout is 504 upstream-timeout with unknown outcome', async () => {
    const slow = await buildTestApp({ SECTIGO_TIMEOUT_MS: '150', SECTIGO_CONNECT_TIMEOUT_MS: '100' })
    slow.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0').delay(1000)
    const res = await slow.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' } })
    expect(res.statusCode).toBe(504)
    expect(res.json()).toMatchObject({ type: '/problems/upstream-timeout', outcome: 'unknown' })
    await slow.app.close()
  })
})
