import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import fc from 'fast-check'
import { DCV_ARGUMENTS } from '../../src/simulator/auto-update-dcv.js'
import { REPLACE_PARAMETERS } from '../../src/simulator/auto-replace-mc.js'
import { LOGIN, post, simulator } from './helpers.js'

let sim: FastifyInstance
beforeAll(async () => {
  sim = await simulator()
})
afterAll(async () => {
  await sim.close()
})

// Every seeded order but the slow and broken ones, plus numbers the book does not hold.
const ORDER_NUMBERS = ['1000001', '1000002', '1000003', '1000004', '1000005', '1000006', '2000001', '2000002', '2000003', '2000004', '2000005', '2000006', '9000004', '9000005', '9000006', '9000007', '3000001', '5000001', '42', 'x']

const values = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('EMAIL', 'CNAME_CSR_HASH', 'HTTP_CSR_HASH', 'Y', 'N', '0', '1', 'US', 'ZZ', 'admin@example.com', 'example.com www.example.com', 'ALLCNAMECSRHASH', '*.example.org')
)

function argumentsOf(names: string[]) {
  return fc.record({
    orderNumber: fc.constantFrom(...ORDER_NUMBERS),
    extra: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), values), { maxLength: 6 })
  })
}

describe('no form input breaks an endpoint', () => {
  it('AutoUpdateDCV always answers 200 URL-encoded with an integer errorCode', async () => {
    await fc.assert(
      fc.asyncProperty(argumentsOf(Object.keys(DCV_ARGUMENTS)), async ({ orderNumber, extra }) => {
        const reply = await post(sim, '!AutoUpdateDCV', [['loginName', LOGIN.loginName], ['loginPassword', LOGIN.loginPassword], ['orderNumber', orderNumber], ...extra])
        expect(reply.status).toBe(200)
        const params = new URLSearchParams(reply.body)
        expect(params.get('errorCode')).toMatch(/^(0|-\d+)$/)
        if (params.get('errorCode') !== '0') expect(params.get('errorMessage')).toBeTruthy()
      }),
      { numRuns: 300 }
    )
  })

  it('AutoReplaceMC always answers 200 with a status line or an integer errorCode', async () => {
    await fc.assert(
      fc.asyncProperty(argumentsOf(Object.keys(REPLACE_PARAMETERS)), async ({ orderNumber, extra }) => {
        const reply = await post(sim, '!AutoReplaceMC', [['loginName', LOGIN.loginName], ['loginPassword', LOGIN.loginPassword], ['orderNumber', orderNumber], ...extra])
        expect(reply.status).toBe(200)
        const text = reply.body.startsWith('-160%0A') ? decodeURIComponent(reply.body) : reply.body
        const code = reply.contentType.startsWith('text/plain') ? text.split('\n')[0] : new URLSearchParams(text).get('errorCode')
        expect(code).toMatch(/^(0|-\d+)$/)
      }),
      { numRuns: 300 }
    )
  })
})
