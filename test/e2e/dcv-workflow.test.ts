import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { buildSimulator } from '../../src/simulator/app.js'
import { captureLogs } from '../helpers/log-capture.js'

// The whole journey of the README's workflow section: the real proxy and the real simulator,
// each on its own loopback socket.
let simulator: FastifyInstance
let simulatorUrl: string
let proxy: App
let proxyUrl: string

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  simulator = await buildSimulator({ loginName: 'sandbox', loginPassword: 'sandbox', slowMs: 3000 })
  simulatorUrl = await listen(simulator)
  const config = loadConfig({
    SECTIGO_LOGIN_NAME: 'sandbox',
    SECTIGO_LOGIN_PASSWORD: 'sandbox',
    SECTIGO_BASE_URL: `${simulatorUrl}/products/`,
    ALLOW_UNAUTHENTICATED: 'true',
    RATE_LIMIT_MAX: '10000'
  })
  proxy = await buildApp(config, { logStream: captureLogs(), pressure: { maxEventLoopDelayMs: 60_000 } })
  proxyUrl = await listen(proxy)
})
afterAll(async () => {
  await proxy.close()
  await simulator.close()
})
beforeEach(async () => {
  await request(`${simulatorUrl}/__simulator/reset`, { method: 'POST' }).then((r) => r.body.dump())
})

async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await request(`${proxyUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  // The answers are JSON of several shapes; each test reads the members it expects.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-only view of a JSON answer
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, any> }
}

describe('the DCV workflow against the simulator', () => {
  it('list, switch to EMAIL, resend, watch the status change, then the order is issued', async () => {
    const listed = await call('GET', '/domains/mail.example.com/dcv-email-addresses')
    expect(listed.status).toBe(200)
    const emails = listed.json.emailAddresses.map((a: { email: string }) => a.email)
    expect(emails[0]).toBe('registrant@example.com')
    expect(emails).toContain('admin@example.com')
    expect(emails).toContain('admin@mail.example.com')

    const switched = await call('POST', '/orders/1000007/dcv', { method: 'EMAIL', email: 'admin@example.com' })
    expect(switched.status).toBe(200)

    const resent = await call('POST', '/orders/1000007/dcv/resend', {})
    expect(resent).toEqual({ status: 200, json: { orderNumber: '1000007' } })

    const first = await call('GET', '/orders/1000007/dcv')
    expect(first.json).toMatchObject({ allValidated: false, domains: [{ domainName: 'mail.example.com', method: 'EMAIL', state: 'PENDING' }] })
    const second = await call('GET', '/orders/1000007/dcv')
    expect(second.json).toMatchObject({ allValidated: true, domains: [{ state: 'VALIDATED', sectigoStatus: 'Validated' }] })

    const order = await call('GET', '/orders/1000007')
    expect(order.json).toMatchObject({ orderNumber: '1000007', state: 'ISSUED', validationStatus: 'Validated', replacementOrders: [] })
    expect(order.json.validity.notBefore).toMatch(/Z$/)
  })

  it('an address the list does not offer is refused at the member, by both write routes', async () => {
    const update = await call('POST', '/orders/1000007/dcv', { method: 'EMAIL', email: 'someone@example.com' })
    expect(update.status).toBe(422)
    expect(update.json.errors).toEqual([{ pointer: '#/email', detail: "The value of the 'newDCVEmailAddress' argument is invalid!" }])
    const resend = await call('POST', '/base-orders/5000007/dcv/resend', { email: 'someone@example.com' })
    expect(resend.status).toBe(422)
    expect(resend.json.errors[0].pointer).toBe('#/email')
  })

  it('the README examples for example.com stay valid', async () => {
    expect((await call('POST', '/orders/1000001/dcv', { method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com' })).status).toBe(200)
  })

  it('a replacement, then its order is read through the original', async () => {
    const replaced = await call('POST', '/orders/2000001/replacement', {})
    expect(replaced.status).toBe(200)
    const number = replaced.json.replacementOrderNumber
    expect(number).toBe('3000001')
    const original = await call('GET', '/orders/2000001')
    expect(original.json).toMatchObject({ state: 'ISSUED', replacementOrders: [{ orderNumber: number }] })
    const replacement = await call('GET', `/orders/${number}`)
    expect(replacement.json).toMatchObject({ orderNumber: number, state: 'PENDING', certificateStatus: 'Pending Validation' })
    const dcv = await call('GET', `/orders/${number}/dcv`)
    expect(dcv.json.domains.map((d: { domainName: string }) => d.domainName)).toEqual(['brand.example', 'www.brand.example'])
  })

  it.each([
    ['/orders/42', 422, 'invalid-argument'],
    ['/orders/42/dcv', 422, 'invalid-argument'],
    ['/orders/9000002', 502, 'upstream-bad-response'],
    ['/orders/9000006/dcv', 503, 'upstream-rate-limited']
  ])('GET %s is %i %s', async (path, status, slug) => {
    const res = await call('GET', path)
    expect(res.status).toBe(status)
    expect(res.json.type).toBe(`/problems/${slug}`)
  })
})
