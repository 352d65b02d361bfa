import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { DCV_REQUEST_EXAMPLES } from '../../src/schemas/dcv.js'
import { RESEND_REQUEST_EXAMPLES } from '../../src/schemas/dcv-workflow.js'
import { REPLACEMENT_REQUEST_EXAMPLES } from '../../src/schemas/replacement.js'
import { captureLogs } from '../helpers/log-capture.js'

// Each request example in the OpenAPI document names the sandbox order it works with; a summary
// starting with "Fails:" promises a problem. Swagger UI users rely on both.
let app: App
beforeAll(async () => {
  app = await buildApp(loadConfig({}), { logStream: captureLogs(), pressure: { maxEventLoopDelayMs: 60_000 } })
})
afterAll(async () => {
  await app.close()
})

const cases = [
  ...Object.entries(DCV_REQUEST_EXAMPLES).map(([name, ex]) => ['dcv', name, ex] as const),
  ...Object.entries(REPLACEMENT_REQUEST_EXAMPLES).map(([name, ex]) => ['replacement', name, ex] as const),
  ...Object.entries(RESEND_REQUEST_EXAMPLES).map(([name, ex]) => ['dcv/resend', name, ex] as const)
]

describe('documented request examples against the sandbox', () => {
  it.each(cases)('%s example %s does what its summary says', async (route, _name, example) => {
    const order = /order (\d+)/.exec(example.summary)?.[1]
    expect(order, 'the summary names a sandbox order').toBeDefined()
    const res = await app.inject({ method: 'POST', url: `/orders/${order}/${route}`, payload: example.value as object })
    if (example.summary.startsWith('Fails:')) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400)
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    } else {
      expect(res.statusCode, res.body).toBe(200)
      if (/DCV instructions/.test(example.summary)) expect(res.json().dcvInstructions.length).toBeGreaterThan(0)
    }
  })
})

// The read routes' parameter examples are what Swagger UI prefills: each answers 200 in the sandbox.
describe('documented parameter examples of the read routes', () => {
  it.each(['/domains/www.example.com/dcv-email-addresses', '/domains/brand.example/dcv-email-addresses?product=VMC', '/orders/1000007/dcv', '/orders/2000001'])(
    'GET %s',
    async (url) => {
      const res = await app.inject({ method: 'GET', url })
      expect(res.statusCode, res.body).toBe(200)
    }
  )
})
