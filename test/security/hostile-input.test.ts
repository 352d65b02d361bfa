import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allowedFieldNames, type Endpoint } from '../../src/sectigo/fields.js'
import { LOGIN_NAME, LOGIN_PASSWORD, buildTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
/** Every form body that reached "Sectigo", in order. */
const sent: Array<{ endpoint: Endpoint; fields: Array<[string, string]> }> = []

beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_MAX: '1000000', BODY_LIMIT_BYTES: '262144' })
  for (const endpoint of ['!AutoUpdateDCV', '!AutoReplaceMC'] as const) {
    t.upstream
      .intercept({ path: `/products/${endpoint}`, method: 'POST' })
      .reply(200, (req) => {
        sent.push({ endpoint, fields: [...new URLSearchParams(String(req.body))] })
        return 'errorCode=0'
      })
      .persist()
  }
})
afterAll(async () => {
  await t.app.close()
})

const SERVICE_FIELDS: Record<string, string> = {
  loginName: LOGIN_NAME,
  loginPassword: LOGIN_PASSWORD,
  responseFormat: '1',
  showCertificateState: 'Y',
  showValidityPeriod: 'Y',
  showReplOrderNumber: 'Y'
}

/** What every call that left the service must satisfy, whatever the input. */
function checkSent(from: number, orderNumber: string): void {
  for (const { endpoint, fields } of sent.slice(from)) {
    const allowed = allowedFieldNames(endpoint)
    const names = fields.map(([n]) => n)
    expect(new Set(names).size, 'a field sent twice').toBe(names.length)
    for (const name of names) expect(allowed.has(name), `${name} is not a ${endpoint} field`).toBe(true)
    const get = (n: string) => fields.find(([k]) => k === n)?.[1]
    expect(get('loginName')).toBe(LOGIN_NAME)
    expect(get('loginPassword')).toBe(LOGIN_PASSWORD)
    expect(get('orderNumber') ?? get('baseOrderNumber')).toBe(orderNumber)
    if (endpoint === '!AutoReplaceMC') {
      for (const n of ['responseFormat', 'showCertificateState', 'showValidityPeriod', 'showReplOrderNumber']) expect(get(n)).toBe(SERVICE_FIELDS[n])
    } else {
      expect(get('responseFormat')).toBeUndefined()
    }
  }
}

// Strings that break naive encoders, smuggle fields, or look like something else.
const hostile = fc.oneof(
  fc.constantFrom(
    '&loginPassword=stolen',
    'x=1&orderNumber=9',
    '%26responseFormat%3D0',
    'a+b',
    '%',
    '=',
    '&',
    'Ａ',
    'аpple',
    '\u202e',
    '漢字',
    '😀',
    '\u0000',
    '\r\nX-Injected: 1',
    '\u007f',
    '\ud800',
    ' '.repeat(300),
    '',
    '__proto__',
    'constructor'
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 })
)
const hostileOrJunk = fc.oneof(hostile, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostile, { maxLength: 3 }))

const methods = fc.constantFrom('EMAIL', 'HTTP_CSR_HASH', 'HTTPS_CSR_HASH', 'CNAME_CSR_HASH')
const domain = fc.oneof(fc.constantFrom('example.com', '*.example.org', 'a-b.example.net'), fc.domain(), hostile)

const dcvBody = fc.oneof(
  fc.record(
    { method: fc.oneof(methods, hostileOrJunk), domainName: domain, email: fc.oneof(fc.emailAddress(), hostile), dcvTemplateId: fc.oneof(fc.integer(), hostileOrJunk) },
    { requiredKeys: ['method'] }
  ),
  fc.record({ domains: fc.array(fc.record({ domainName: domain, method: methods, email: fc.oneof(fc.emailAddress(), hostile) }, { requiredKeys: ['domainName', 'method'] }), { maxLength: 5 }) }),
  fc.dictionary(hostile, hostileOrJunk, { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 3 })
)

const text = fc.oneof(hostile, fc.string({ maxLength: 70 }))
const replacementBody = fc.oneof(
  fc.record(
    {
      domains: fc.array(fc.record({ domainName: domain, method: fc.option(methods, { nil: undefined }), email: fc.emailAddress() }, { requiredKeys: ['domainName'] }), { maxLength: 4 }),
      dcvMethod: fc.oneof(fc.constantFrom('HTTP_CSR_HASH', 'CNAME_CSR_HASH'), hostile),
      markLogo: fc.oneof(fc.base64String({ maxLength: 64 }), hostile),
      organization: fc.record({ name: text, unitName: text, postOfficeBox: text, locality: text, country: fc.oneof(fc.constantFrom('US', 'DE', 'XX'), hostile), dunsNumber: text }, { requiredKeys: [] }),
      jurisdiction: fc.record({ locality: text, country: fc.constantFrom('US', 'GB', 'ZZ') }, { requiredKeys: [] }),
      applicantRepresentative: fc.record({ forename: text, surname: text, telephone: text, organization: fc.record({ name: text, postalCode: text }) }, { requiredKeys: [] }),
      trademark: fc.record({ office: text, identifier: text, countryName: fc.constantFrom('US', 'EU') }, { requiredKeys: [] }),
      foreignOrderNumber: text,
      requireUniqueForeignOrderNumber: fc.oneof(fc.boolean(), hostileOrJunk),
      updateOrgDetails: fc.boolean()
    },
    { requiredKeys: [] }
  ),
  fc.dictionary(hostile, hostileOrJunk, { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 3 })
)

describe('property: no input makes a 500, a crash, a foreign field, or a change to a field the service owns', () => {
  it('DCV bodies', async () => {
    await fc.assert(
      fc.asyncProperty(dcvBody, async (body) => {
        const from = sent.length
        const res = await t.app.inject({ method: 'POST', url: '/orders/1234567/dcv', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
        expect(res.statusCode).toBeLessThan(500)
        expect(res.headers['content-type']).toMatch(res.statusCode === 200 ? /application\/json/ : /application\/problem\+json/)
        checkSent(from, '1234567')
      }),
      { numRuns: 300 }
    )
  })

  it('replacement bodies, with hostile free text carried exactly', async () => {
    await fc.assert(
      fc.asyncProperty(replacementBody, async (body) => {
        const from = sent.length
        const res = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
        expect(res.statusCode).toBeLessThan(500)
        checkSent(from, '2000001')
        const call = sent[from]
        if (res.statusCode === 200 && call && typeof body === 'object' && body !== null && 'organization' in body) {
          const org = (body as { organization?: { name?: string } }).organization
          if (org?.name !== undefined) expect(call.fields.find(([n]) => n === 'organizationName')?.[1]).toBe(org.name)
        }
      }),
      { numRuns: 300 }
    )
  })

  it('path parameters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('1%26loginPassword%3Dx', '1%2F2', '..%2F..', '9'.repeat(25), '0', '-1')), async (raw) => {
        const from = sent.length
        const param = /%[0-9A-Fa-f]{2}/.test(raw) ? raw : encodeURIComponent(raw)
        const res = await t.app.inject({ method: 'POST', url: `/orders/${param}/dcv`, payload: { method: 'CNAME_CSR_HASH' } })
        expect(res.statusCode).toBeLessThan(500)
        if (res.statusCode === 200) checkSent(from, decodeURIComponent(param))
        else expect(sent.length).toBe(from)
      }),
      { numRuns: 200 }
    )
  })

  it('headers', async () => {
    const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 })
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          'idempotency-key': headerValue,
          'x-request-id': headerValue,
          authorization: headerValue,
          'content-type': fc.oneof(headerValue, fc.constantFrom('application/json', 'application/json; charset=latin1', 'application/JSON', 'text/plain'))
        }, { requiredKeys: [] }),
        async (headers) => {
          const from = sent.length
          const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv?dryRun=true', payload: '{"method":"CNAME_CSR_HASH"}', headers })
          expect(res.statusCode).toBeLessThan(500)
          expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
          expect(sent.length).toBe(from)
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe('explicit hostile cases', () => {
  const SMUGGLING = ['&loginPassword=stolen', 'a=b', '%26orderNumber%3D1', 'x+y', '100%', 'Ünïcødé 漢字 😀']

  it.each(SMUGGLING)('carries %j exactly in every free-text member of a replacement', async (value) => {
    const members = {
      organization: { name: value, unitName: value, postOfficeBox: value, streetAddress1: value, locality: value, stateOrProvince: value, postalCode: value, companyNumber: value, assumedName: value },
      jurisdiction: { locality: value, stateOrProvince: value },
      applicantRepresentative: { forename: value, surname: value, telephone: value, title: value, fax: value, organization: { name: value, postalCode: value } },
      trademark: { office: value, identifier: value },
      foreignOrderNumber: value
    }
    const from = sent.length
    const res = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: members })
    expect(res.statusCode).toBe(200)
    checkSent(from, '2000001')
    const fields = sent[from]?.fields ?? []
    const carried = fields.filter(([, v]) => v === value).map(([n]) => n)
    // 9 organization, 2 jurisdiction, 7 representative, 2 trademark members and foreignOrderNumber.
    expect(carried).toHaveLength(21)
  })

  it.each([...Array.from({ length: 32 }, (_, i) => i), 0x7f])('refuses control character U+%s in a string with 400', async (code) => {
    const char = String.fromCharCode(code)
    for (const [url, payload] of [
      ['/orders/2000001/replacement', { organization: { name: `a${char}b` } }],
      ['/orders/2000001/replacement', { foreignOrderNumber: char }],
      ['/orders/1/dcv', { method: 'EMAIL', domainName: 'example.com', email: `ad${char}min@example.com` }]
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url, payload })
      expect(res.statusCode, `${url} ${code}`).toBe(400)
    }
  })

  it('refuses a lone surrogate with 400 instead of failing to encode it', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: '{"foreignOrderNumber":"a\\ud800b"}', headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(400)
  })

  it('refuses deeply nested JSON with 400, without a crash', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`
    for (const payload of [deep, `{"organization":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`]) {
      const res = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload, headers: { 'content-type': 'application/json' } })
      expect(res.statusCode).toBe(400)
    }
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
  })

  it('refuses a very long body with 413 and very long strings with 400', async () => {
    const huge = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: { markLogo: 'A'.repeat(300_000) } })
    expect(huge.statusCode).toBe(413)
    const long = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: { markLogo: 'A'.repeat(32_768) } })
    expect(long.statusCode).toBe(400)
  })

  it.each([
    '{"__proto__":{"polluted":true},"method":"CNAME_CSR_HASH"}',
    '{"method":"CNAME_CSR_HASH","constructor":{"prototype":{"polluted":true}}}',
    '{"domains":[{"domainName":"a.example.com","method":"CNAME_CSR_HASH","__proto__":{"x":1}}]}'
  ])('refuses prototype-poisoning keys %s and pollutes nothing', async (payload) => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload, headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(400)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it.each([1e308, 2 ** 53 + 1, -0, 1.5, 2147483648, -1, '12'])('refuses dcvTemplateId %s with 400', async (value) => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: `{"method":"CNAME_CSR_HASH","dcvTemplateId":${JSON.stringify(value)}}`, headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(400)
  })

  it('refuses numbers beyond what JSON can carry exactly', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: '{"method":"CNAME_CSR_HASH","dcvTemplateId":1e400}', headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(400)
  })

  it.each(['еxample.com', 'exаmple.com', 'ｅxample.com', 'example.com\u200b'])('refuses the look-alike domain %j (not an ASCII FQDN)', async (domainName) => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH', domainName } })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors[0].pointer).toBe('#/domainName')
  })

  it('carries a look-alike in free text exactly, as text', async () => {
    const from = sent.length
    const res = await t.app.inject({ method: 'POST', url: '/orders/2000001/replacement', payload: { organization: { name: 'Ꭺрple Іnc.' } } })
    expect(res.statusCode).toBe(200)
    expect(sent[from]?.fields).toContainEqual(['organizationName', 'Ꭺрple Іnc.'])
  })
})
