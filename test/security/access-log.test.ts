import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ API_KEYS: API_KEYS_ENV, ALLOW_UNAUTHENTICATED: '', RATE_LIMIT_MAX: '1000' })
  t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0').persist()
})
afterAll(async () => {
  await t.app.close()
})

const accessLines = () => t.logs.records().filter((r) => r.msg === 'request completed')

describe('the access line', () => {
  it('holds the route pattern, the owned parameters and the known query members, never a key', async () => {
    const before = accessLines().length
    const res = await t.app.inject({
      method: 'POST',
      url: `/orders/1000001/dcv?dryRun=true&api_key=${KEYS.both}&token=hunter2`,
      headers: { ...bearer(KEYS.both), 'content-type': 'application/json' },
      payload: '{"method":"CNAME_CSR_HASH"}'
    })
    // An unknown query member is refused (strict validation), and still not logged.
    expect(res.statusCode).toBe(400)
    const line = accessLines()[before]
    expect(line).toMatchObject({ method: 'POST', route: '/orders/:orderNumber/dcv', params: { orderNumber: '1000001' }, query: { dryRun: 'true' } })
    expect(line).not.toHaveProperty('url')
    expect(t.logs.text()).not.toContain(KEYS.both)
    expect(t.logs.text()).not.toContain('hunter2')
  })

  it('logs a value the service does not accept as [not logged], and no path when no route answers', async () => {
    const before = accessLines().length
    await t.app.inject({ method: 'POST', url: `/orders/${KEYS.dcvOnly}/dcv?dryRun=${KEYS.dcvOnly}`, headers: bearer(KEYS.both) })
    await t.app.inject({ method: 'GET', url: `/secret/${KEYS.replacementOnly}` })
    await t.app.inject({ method: 'POST', url: '/orders/1000001/dcv', headers: { authorization: `Basic ${KEYS.both}` } })
    const [bad, unmatched, basic] = accessLines().slice(before)
    expect(bad).toMatchObject({ route: '/orders/:orderNumber/dcv', params: { orderNumber: '[not logged]' }, query: { dryRun: '[not logged]' } })
    expect(unmatched).toMatchObject({ route: 'unmatched', statusCode: 404 })
    expect(unmatched).not.toHaveProperty('params')
    expect(basic).toMatchObject({ statusCode: 401 })
    for (const key of Object.values(KEYS)) expect(t.logs.lines.filter((l) => l.includes(key))).toEqual([])
  })
})
