import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { buildSimulator } from '../../src/simulator/app.js'
import { ACCOUNT, dcv, LOGIN, order, post, readLines, replace, simulator } from './helpers.js'

let sim: FastifyInstance | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
})

async function fresh(slowMs = 50): Promise<FastifyInstance> {
  sim = await simulator(slowMs)
  return sim
}

const ERRORS: Array<[string, number, string, string]> = [
  ['9000004', -1, 'Request was not made over https!', 'Request was not made over https!'],
  ['9000005', -14, 'An unknown error occurred!', 'An unknown error occurred!'],
  ['9000006', -42, 'Call limit reached, please try again later', 'Call limit reached, please try again later'],
  ['9000007', -160, 'The attempt to update the DCV method(s) did not succeed.', 'Failed to replace order #9000007.']
]

describe('fault orders: Sectigo errors', () => {
  it.each(ERRORS)('%s answers %i on both endpoints, whatever the other arguments', async (orderNumber, code, dcvMessage, replaceMessage) => {
    const s = await fresh()
    // A DCV call with any domain names, no method at all, or conditional arguments missing.
    const variants: Array<Record<string, string>> = [{}, { domainNames: 'anything.example', newMethods: 'EMAIL' }, { domainName: 'x.example', newMethod: 'NOPE' }]
    for (const fields of variants) {
      const answer = await dcv(s, { orderNumber, ...fields })
      expect([answer.errorCode, answer.errorMessage]).toEqual([code, dcvMessage])
    }
    const replacement = await replace(s, { orderNumber, domainNames: 'anything.example', csr: 'not a csr' })
    expect([replacement.errorCode, replacement.errorMessage]).toEqual([code, replaceMessage])
  })

  it('-160 in the newline format arrives percent-encoded, as in the page sample', async () => {
    const s = await fresh()
    const reply = await post(s, '!AutoReplaceMC', { ...LOGIN, orderNumber: '9000007' })
    expect(reply.body).toBe('-160%0AFailed%20to%20replace%20order%20%239000007.')
    expect(decodeURIComponent(reply.body).split('\n')).toEqual(['-160', 'Failed to replace order #9000007.'])
    const lines = readLines(await post(s, '!AutoReplaceMC', { ...LOGIN, orderNumber: '9000005' }))
    expect(lines).toEqual(['-14', 'An unknown error occurred!'])
  })

  it('still answers -16 to a wrong password and -2 to an unknown name on a fault order', async () => {
    const s = await fresh()
    for (const orderNumber of ['9000001', '9000002', '9000003', '9000005']) {
      expect((await dcv(s, { orderNumber, newMethod: 'EMAIL', loginPassword: 'nope' })).errorCode).toBe(-16)
      expect((await replace(s, { orderNumber, loginPassword: 'nope' })).errorCode).toBe(-16)
      expect((await dcv(s, { orderNumber, responseFormat: '1' })).errorCode).toBe(-2)
    }
  })
})

describe('fault orders: broken HTTP replies', () => {
  it('9000002 answers HTTP 500 with an HTML error page on both endpoints', async () => {
    const s = await fresh()
    for (const endpoint of ['!AutoUpdateDCV', '!AutoReplaceMC'] as const) {
      const reply = await post(s, endpoint, { ...LOGIN, orderNumber: '9000002' })
      expect(reply.status).toBe(500)
      expect(reply.contentType).toBe('text/html; charset=utf-8')
      expect(reply.body).toMatch(/^<!DOCTYPE html>/)
    }
  })

  it("9000003 answers 200 with a body in no reply format, under the endpoint's usual Content-Type", async () => {
    const s = await fresh()
    const dcvReply = await post(s, '!AutoUpdateDCV', { ...LOGIN, orderNumber: '9000003' })
    expect([dcvReply.status, dcvReply.contentType]).toEqual([200, 'application/x-www-form-urlencoded'])
    expect(new URLSearchParams(dcvReply.body).has('errorCode')).toBe(false)
    const lines = await post(s, '!AutoReplaceMC', { ...LOGIN, orderNumber: '9000003' })
    expect([lines.status, lines.contentType]).toEqual([200, 'text/plain; charset=utf-8'])
    expect(lines.body.split('\n')[0]).not.toMatch(/^-?\d+$/)
    const encoded = await post(s, '!AutoReplaceMC', { ...LOGIN, orderNumber: '9000003', responseFormat: '1' })
    expect(encoded.contentType).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(encoded.body).has('errorCode')).toBe(false)
  })
})

describe('the slow order 9000001', () => {
  it('waits slowMs, then answers AutoUpdateDCV with success', async () => {
    const s = await fresh(80)
    const started = performance.now()
    const answer = await dcv(s, { orderNumber: '9000001', domainNames: 'whatever.example', newMethods: 'CNAME_CSR_HASH' })
    expect(answer.errorCode).toBe(0)
    expect(performance.now() - started).toBeGreaterThanOrEqual(75)
  })

  it('waits slowMs, then books the replacement and answers with the show flags', async () => {
    const s = await fresh(50)
    const started = performance.now()
    const answer = await replace(s, { orderNumber: '9000001', showReplOrderNumber: 'Y', showCertificateState: 'Y' })
    expect(performance.now() - started).toBeGreaterThanOrEqual(45)
    expect([answer.errorCode, answer.params.get('replOrderNumber'), answer.params.get('certificateStatus')]).toEqual([
      0,
      '3000001',
      'Pending Validation'
    ])
    expect((await order(s, '9000001')).replacements).toEqual(['3000001'])
    const lines = readLines(await post(s, '!AutoReplaceMC', { ...LOGIN, orderNumber: '9000001', showReplOrderNumber: 'Y' }))
    expect(lines).toEqual(['0', '3000002'])
  })

  it('does not hold close(): a slow call in flight over a socket is answered at once when the app closes', async () => {
    const s = await buildSimulator({ ...ACCOUNT, slowMs: 600_000 })
    let arrived: () => void = () => undefined
    const reached = new Promise<void>((resolve) => {
      arrived = resolve
    })
    s.addHook('preHandler', async () => {
      arrived()
    })
    await s.listen({ host: '127.0.0.1', port: 0 })
    const { port } = s.server.address() as { port: number }
    const pending = request(`http://127.0.0.1:${port}/products/!AutoUpdateDCV`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...LOGIN, orderNumber: '9000001' }).toString()
    })
    await reached
    // Let the handler start its wait before closing.
    await new Promise((resolve) => setImmediate(resolve))
    const started = performance.now()
    await Promise.all([s.close(), pending.then(async (response) => expect(await response.body.text()).toBe('errorCode=0'))])
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('does not hold close() for an injected call either', async () => {
    const s = await buildSimulator({ ...ACCOUNT, slowMs: 600_000 })
    s.addHook('onRequest', async () => {
      setImmediate(() => void s.close())
    })
    const answer = await replace(s, { orderNumber: '9000001', showReplOrderNumber: 'Y' })
    expect(answer.params.get('replOrderNumber')).toBe('3000001')
  })
})
