import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helpers/test-app.js'

let t: TestApp
beforeEach(async () => {
  t = await buildTestApp()
})
afterEach(async () => {
  await t.app.close()
})

const PROBLEM = 'application/problem+json; charset=utf-8'

describe('problem+json for every error', () => {
  it('answers an unknown route with 404 not-found', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nowhere?x=1' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toBe(PROBLEM)
    expect(res.json()).toEqual({
      type: '/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'No route answers GET /nowhere.',
      instance: '/nowhere',
      requestId: res.headers['x-request-id']
    })
  })

  it('answers a known path with another method with 405 and Allow', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/orders/1/replacement' })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('POST')
    const both = await t.app.inject({ method: 'PUT', url: '/orders/1/dcv' })
    expect(both.statusCode).toBe(405)
    expect(String(both.headers.allow).split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST']))
    expect(res.json()).toMatchObject({ type: '/problems/method-not-allowed', status: 405 })
    const del = await t.app.inject({ method: 'DELETE', url: '/healthz' })
    expect(del.statusCode).toBe(405)
    expect(del.headers.allow).toBe('GET, HEAD')
  })

  it('answers a body that is not JSON with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: 'method=EMAIL', headers: { 'content-type': type } })
      expect(res.statusCode).toBe(415)
      expect(res.json().type).toBe('/problems/unsupported-media-type')
    }
  })

  it('answers malformed JSON with 400 validation-failed', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: '{"method":', headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(400)
    expect(res.json().type).toBe('/problems/validation-failed')
  })

  it.each(['{"__proto__":{"x":1},"method":"EMAIL"}', '{"constructor":{"prototype":{"x":1}},"method":"EMAIL"}'])(
    'refuses prototype poisoning %s with 400',
    async (payload) => {
      const res = await t.app.inject({ method: 'POST', url: '/orders/1/replacement', payload, headers: { 'content-type': 'application/json' } })
      expect(res.statusCode).toBe(400)
      expect(res.json().type).toBe('/problems/validation-failed')
    }
  )

  it('answers a body over BODY_LIMIT_BYTES with 413', async () => {
    const small = await buildTestApp({ BODY_LIMIT_BYTES: '2048' })
    const res = await small.app.inject({ method: 'POST', url: '/orders/1/replacement', payload: { markLogo: 'A'.repeat(4000) } })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ type: '/problems/payload-too-large', status: 413 })
    await small.app.close()
  })

  it('makes type absolute with PUBLIC_BASE_URL', async () => {
    const app = await buildTestApp({ PUBLIC_BASE_URL: 'https://certs.internal.example/' })
    const res = await app.app.inject({ method: 'GET', url: '/nowhere' })
    expect(res.json().type).toBe('https://certs.internal.example/problems/not-found')
    await app.app.close()
  })

  it('answers an unexpected error with an opaque 500 and logs the details', async () => {
    const app = await buildTestApp()
    // A fault injected below the routes: the client itself throws something unexpected.
    app.app.sectigo.call = async () => {
      throw new TypeError('secret internal detail at line 42')
    }
    const res = await app.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' } })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({
      type: '/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred.',
      instance: '/orders/1/dcv',
      requestId: res.headers['x-request-id']
    })
    expect(res.body).not.toMatch(/secret internal|line 42|TypeError|stack/)
    expect(app.logs.text()).toContain('secret internal detail at line 42')
    await app.app.close()
  })
})

describe('request ids', () => {
  it.each(['abc', 'a'.repeat(128), 'trace-1.2:3_x'])('keeps a valid X-Request-Id %s', async (id) => {
    const res = await t.app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': id } })
    expect(res.headers['x-request-id']).toBe(id)
    expect(res.json().requestId).toBe(id)
  })

  it.each(['', 'a'.repeat(129), 'has space', 'semi;colon', 'é', 'new\nline'.replace('\n', '%0A')])(
    'replaces an invalid X-Request-Id %j with a UUID',
    async (id) => {
      const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': id } })
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
  )

  it('echoes the id on successes and puts it on every log line of the request', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-42' } })
    expect(res.headers['x-request-id']).toBe('req-42')
    const lines = t.logs.records().filter((r) => r.requestId === 'req-42')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.at(-1)).toMatchObject({ msg: 'request completed', statusCode: 200, method: 'GET', route: '/healthz' })
  })
})

describe('problem pages', () => {
  it('documents each slug in JSON from the same tables the errors use', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/problems/csr-domain-mismatch' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      slug: 'csr-domain-mismatch',
      status: 422,
      title: 'CSR names do not match the domains',
      sectigoCodes: [{ code: -162 }, { code: -163 }]
    })
    expect(res.json().action).toBeTruthy()
  })

  it('renders HTML for browsers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/problems/upstream-authentication-failed', headers: { accept: 'text/html,*/*' } })
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('<h1>Sectigo refused the service&#39;s credentials</h1>')
    expect(res.body).toContain('<code>-16</code>')
  })

  it('lists every problem type and 404s an unknown one', async () => {
    const list = await t.app.inject({ method: 'GET', url: '/problems' })
    expect(list.json().length).toBe(33)
    const missing = await t.app.inject({ method: 'GET', url: '/problems/no-such-thing' })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toBe(PROBLEM)
  })
})

describe('health', () => {
  it('answers liveness and readiness', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ok' })
  })

  it('turns readiness and new requests to 503 once shutdown begins, but keeps liveness', async () => {
    t.app.lifecycle.beginShutdown()
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.headers['retry-after']).toBe('5')
    expect(ready.json().type).toBe('/problems/service-unavailable')
    const order = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: { method: 'CNAME_CSR_HASH' } })
    expect(order.statusCode).toBe(503)
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
  })
})
