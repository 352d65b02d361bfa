import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import type { ProblemBody } from '../../src/problems/problem-handler.js'
import type { DcvResult } from '../../src/schemas/dcv.js'
import type { ReplacementResult } from '../../src/schemas/replacement.js'
import { buildSimulator } from '../../src/simulator/app.js'
import type { OrderView } from '../../src/simulator/order-book.js'
import { makeCsr } from '../fixtures/csr.js'
import { captureLogs } from '../helpers/log-capture.js'

// The real proxy against the real simulator, each on its own loopback socket.
let simulator: FastifyInstance
let simulatorUrl: string
let proxy: App
let proxyUrl: string

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

async function startProxy(env: Record<string, string> = {}): Promise<{ app: App; url: string }> {
  const config = loadConfig({
    SECTIGO_LOGIN_NAME: 'sandbox',
    SECTIGO_LOGIN_PASSWORD: 'sandbox',
    SECTIGO_BASE_URL: `${simulatorUrl}/products/`,
    ALLOW_UNAUTHENTICATED: 'true',
    SECTIGO_TIMEOUT_MS: '1000',
    SECTIGO_CONNECT_TIMEOUT_MS: '500',
    RATE_LIMIT_MAX: '10000',
    ...env
  })
  const app = await buildApp(config, { logStream: captureLogs(), pressure: { maxEventLoopDelayMs: 60_000 } })
  return { app, url: await listen(app) }
}

beforeAll(async () => {
  simulator = await buildSimulator({ loginName: 'sandbox', loginPassword: 'sandbox', slowMs: 3000 })
  simulatorUrl = await listen(simulator)
  ;({ app: proxy, url: proxyUrl } = await startProxy())
})
afterAll(async () => {
  await proxy.close()
  await simulator.close()
})
beforeEach(async () => {
  await request(`${simulatorUrl}/__simulator/reset`, { method: 'POST' }).then((r) => r.body.dump())
})

async function call(path: string, body?: unknown, base = proxyUrl) {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  // Every answer is one of these; the fields a test reads decide which.
  type Answer = Partial<ProblemBody> & Partial<ReplacementResult> & Partial<DcvResult>
  return { status: res.statusCode, headers: res.headers, json: (await res.body.json()) as Answer }
}

async function book(orderNumber: string): Promise<OrderView> {
  return (await (await request(`${simulatorUrl}/__simulator/orders/${orderNumber}`)).body.json()) as OrderView
}

describe('DCV against the simulator', () => {
  it('1000001: a single-domain order takes a new method, and the book records it', async () => {
    const res = await call('/orders/1000001/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ orderNumber: '1000001', domains: [{ method: 'CNAME_CSR_HASH' }] })
    expect((await book('1000001')).domains[0]).toMatchObject({ domainName: 'www.example.com', method: 'CNAME_CSR_HASH' })
  })

  it('5000001: the same order through its base order number', async () => {
    const res = await call('/base-orders/5000001/dcv', { method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com' })
    expect(res.status).toBe(200)
    expect((await book('1000001')).domains[0]).toMatchObject({ method: 'EMAIL', email: 'admin@example.com' })
  })

  it('1000002: several domains with mixed methods, e-mails in order', async () => {
    const res = await call('/orders/1000002/dcv', {
      domains: [
        { domainName: 'example.com', method: 'EMAIL', email: 'hostmaster@example.com' },
        { domainName: 'shop.example.com', method: 'HTTPS_CSR_HASH' },
        { domainName: '*.example.org', method: 'EMAIL', email: 'admin@example.org' }
      ]
    })
    expect(res.status).toBe(200)
    const { domains } = await book('1000002')
    expect(domains.find((d) => d.domainName === 'example.com')).toMatchObject({ method: 'EMAIL', email: 'hostmaster@example.com' })
    expect(domains.find((d) => d.domainName === 'shop.example.com')).toMatchObject({ method: 'HTTPS_CSR_HASH' })
  })

  it('1000002: a wildcard with HTTP DCV is refused before the call', async () => {
    const res = await call('/orders/1000002/dcv', { method: 'HTTP_CSR_HASH', domainName: '*.example.org' })
    expect(res.status).toBe(422)
    expect(res.json.type).toBe('/problems/wildcard-http-dcv-not-allowed')
    expect((await book('1000002')).calls).toEqual([])
  })

  it('1000002: an e-mail Sectigo does not accept for the domain points at the member', async () => {
    const res = await call('/orders/1000002/dcv', { method: 'EMAIL', domainName: 'shop.example.com', email: 'someone@elsewhere.example' })
    expect(res.status).toBe(422)
    expect(res.json).toMatchObject({ type: '/problems/invalid-argument', errors: [{ pointer: '#/email' }], sectigo: { errorCode: -4 } })
  })

  it.each([
    ['1000003', { method: 'CNAME_CSR_HASH' }, 422, 'invalid-argument', -4],
    ['1000004', { method: 'CNAME_CSR_HASH', domainName: 'example.net' }, 409, 'domain-already-validated', -47],
    ['1000005', { method: 'CNAME_CSR_HASH' }, 409, 'unexpected-certificate-state', -139],
    ['1000006', { method: 'CNAME_CSR_HASH' }, 403, 'permission-denied', -90],
    ['9000002', { method: 'CNAME_CSR_HASH' }, 502, 'upstream-bad-response', undefined],
    ['9000003', { method: 'CNAME_CSR_HASH' }, 502, 'upstream-bad-response', undefined],
    ['9000004', { method: 'CNAME_CSR_HASH' }, 502, 'upstream-rejected-request', -1],
    ['9000005', { method: 'CNAME_CSR_HASH' }, 502, 'upstream-error', -14],
    ['9000006', { method: 'CNAME_CSR_HASH' }, 503, 'upstream-rate-limited', -42],
    ['9000007', { method: 'CNAME_CSR_HASH' }, 502, 'upstream-operation-failed', -160]
  ])('%s: answers %i %s', async (order, body, status, slug, code) => {
    const res = await call(`/orders/${order}/dcv`, body)
    expect(res.status).toBe(status)
    expect(res.json.type).toBe(`/problems/${slug}`)
    if (code === undefined) expect(res.json.outcome).toBe('unknown')
    else expect(res.json.sectigo?.errorCode).toBe(code)
  })

  it('1000003: an issued order is reported on the path parameter', async () => {
    const res = await call('/orders/1000003/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.json.errors).toEqual([{ parameter: 'orderNumber', detail: "The value of the 'orderNumber' argument is invalid!" }])
  })

  it('9000001: a call slower than SECTIGO_TIMEOUT_MS is 504 with unknown outcome', async () => {
    const started = Date.now()
    const res = await call('/orders/9000001/dcv', { method: 'CNAME_CSR_HASH' })
    expect(res.status).toBe(504)
    expect(res.json).toMatchObject({ type: '/problems/upstream-timeout', outcome: 'unknown' })
    expect(Date.now() - started).toBeLessThan(2500)
  })

  it('a wrong service password is 502 upstream-authentication-failed, never a 401', async () => {
    const wrong = await startProxy({ SECTIGO_LOGIN_PASSWORD: 'not-the-password' })
    const res = await call('/orders/1000001/dcv', { method: 'CNAME_CSR_HASH' }, wrong.url)
    expect(res.status).toBe(502)
    expect(res.json).toMatchObject({ type: '/problems/upstream-authentication-failed', sectigo: { errorCode: -16 } })
    expect(JSON.stringify(res.json)).not.toContain('not-the-password')
    await wrong.app.close()
  })
})

describe('replacement against the simulator', () => {
  it('2000001: the empty body replaces the VMC; the answer and the book agree', async () => {
    const res = await call('/orders/2000001/replacement')
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ orderNumber: '2000001', replacementOrderNumber: '3000001', certificateStatus: 'Pending Validation' })
    expect(res.json.productTerm?.durationDays).toBe(365)
    expect(res.json.productTerm?.start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
    expect((await book('2000001')).replacements).toEqual(['3000001'])
    expect((await book('3000001')).replacedOrderNumber).toBe('2000001')
  })

  it('2000001: a full VMC replacement with a CSR and DCV instructions', async () => {
    const csr = await makeCsr({ commonName: 'brand.example', dnsNames: ['brand.example', 'www.brand.example'] })
    const res = await call('/orders/2000001/replacement', {
      domains: [
        { domainName: 'brand.example', method: 'CNAME_CSR_HASH' },
        { domainName: 'www.brand.example', method: 'EMAIL', email: 'admin@brand.example' }
      ],
      csr: csr.pem,
      markLogo: 'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=',
      trademark: { countryName: 'US', office: 'USPTO', identifier: '1234567' },
      organization: { name: 'Brand & Co = "Best"', country: 'US', dateOfIncorporation: '2001-04-01', dunsNumber: '123456789' },
      jurisdiction: { country: 'US', stateOrProvince: 'Delaware' },
      applicantRepresentative: { forename: 'Zoë', surname: 'Müller', email: 'zoe@brand.example', telephone: '+1 555 0100' },
      foreignOrderNumber: 'PO-42&x=1',
      requireUniqueForeignOrderNumber: true,
      updateOrgDetails: true
    })
    expect(res.status).toBe(200)
    expect(res.json.dcvInstructions).toHaveLength(1)
    expect(res.json.dcvInstructions?.[0]?.cname?.target).toMatch(/^[0-9A-F]{32}\.[0-9A-F]{32}\.sectigo\.com$/)
    const sent = (await book('2000001')).calls.at(-1)?.arguments ?? {}
    expect(sent).toMatchObject({ organizationName: 'Brand & Co = "Best"', foreignOrderNumber: 'PO-42&x=1', appRepForename: 'Zoë', csr: csr.pem })
  })

  it('2000002: a CMC with its prior-use domain', async () => {
    const res = await call('/orders/2000002/replacement', { domains: [{ domainName: 'mark.example' }], logoPriorUseDomainName: 'mark.example' })
    expect(res.status).toBe(200)
  })

  it('2000002: a trademark on a CMC is 422 parameter-not-applicable at the member', async () => {
    const res = await call('/orders/2000002/replacement', { trademark: { office: 'EUIPO' } })
    expect(res.status).toBe(422)
    expect(res.json).toMatchObject({ type: '/problems/parameter-not-applicable', errors: [{ pointer: '#/trademark/office' }], sectigo: { errorCode: -161 } })
  })

  it('2000001: a CSR naming a domain outside the certificate is 422 csr-domain-mismatch (-163)', async () => {
    const csr = await makeCsr({ commonName: 'brand.example', dnsNames: ['other.example'] })
    const res = await call('/orders/2000001/replacement', { csr: csr.pem })
    expect(res.status).toBe(422)
    expect(res.json).toMatchObject({ type: '/problems/csr-domain-mismatch', sectigo: { errorCode: -163 } })
  })

  it.each([
    ['2000003', 409, 'certificate-expired', -36],
    ['2000004', 422, 'no-price-found', -115],
    ['2000005', 403, 'permission-denied', -90],
    ['2000006', 403, 'permission-denied', -91],
    ['1000001', 422, 'invalid-argument', -4],
    ['9000004', 502, 'upstream-rejected-request', -1],
    ['9000005', 502, 'upstream-error', -14],
    ['9000006', 503, 'upstream-rate-limited', -42],
    ['9000007', 502, 'upstream-operation-failed', -160],
    ['9000002', 502, 'upstream-bad-response', undefined],
    ['9000003', 502, 'upstream-bad-response', undefined]
  ])('%s: answers %i %s', async (order, status, slug, code) => {
    const res = await call(`/orders/${order}/replacement`, {})
    expect(res.status).toBe(status)
    expect(res.json.type).toBe(`/problems/${slug}`)
    if (code === undefined) expect(res.json.outcome).toBe('unknown')
    else expect(res.json.sectigo?.errorCode).toBe(code)
  })

  it('9000001: a slow replacement is 504 and is not sent again', async () => {
    const res = await call('/orders/9000001/replacement', {})
    expect(res.status).toBe(504)
    expect(res.json.outcome).toBe('unknown')
  })
})
