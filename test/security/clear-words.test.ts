import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ API_KEYS: API_KEYS_ENV, ALLOW_UNAUTHENTICATED: '', BODY_LIMIT_BYTES: '2048' })
})
afterAll(async () => {
  await t.app.close()
})

const dcv = (headers: Record<string, string>, payload: string = '{"method":"CNAME_CSR_HASH"}') =>
  t.app.inject({ method: 'POST', url: '/orders/1000001/dcv', headers: { 'content-type': 'application/json', ...headers }, payload })

describe('each mistake in its own words', () => {
  it.each([
    [{}, 'Send an API key as Authorization: Bearer <key>.'],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, 'The Authorization header must use the Bearer scheme'],
    [{ authorization: 'Bearer ' }, 'The Bearer token is empty or malformed'],
    [{ authorization: 'Bearer' }, 'The Bearer token is empty or malformed'],
    [{ authorization: 'Bearer spk_unknown' }, 'The API key is not known.']
  ])('Authorization %j', async (headers, detail) => {
    const res = await dcv(headers)
    expect(res.statusCode).toBe(401)
    expect(res.json().detail).toContain(detail)
    expect(res.body).not.toContain('dXNlcjpwYXNz')
  })

  it('413 states the limit', async () => {
    const res = await dcv(bearer(KEYS.both), JSON.stringify({ method: 'CNAME_CSR_HASH', domainName: `${'a'.repeat(3000)}.example` }))
    expect(res.statusCode).toBe(413)
    expect(res.json().detail).toBe('The body is larger than the 2048 bytes the service accepts (BODY_LIMIT_BYTES).')
  })
})
