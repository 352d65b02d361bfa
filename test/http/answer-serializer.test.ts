import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import { Type } from '@sinclair/typebox'
import { describe, expect, it, vi } from 'vitest'
import { answerSerializers } from '../../src/http/answer-serializer.js'
import { DryRunResult } from '../../src/schemas/common.js'
import { DCV_SCHEMAS, DcvResult } from '../../src/schemas/dcv.js'

const external = Object.fromEntries([...DCV_SCHEMAS, DryRunResult].map((s) => [s.$id as string, s]))
const route = { method: 'POST', url: '/orders/:orderNumber/dcv', httpStatus: '200', schema: Type.Union([Type.Ref(DcvResult), Type.Ref(DryRunResult)]) }

const answers = [
  { orderNumber: '1000001', domains: [{ domainName: 'www.example.com', method: 'EMAIL', email: 'admin@example.com' }], dcvTemplateId: 12 },
  { orderNumber: '1000002', domains: [{ method: 'CNAME_CSR_HASH' }] },
  { dryRun: true, endpoint: '!AutoUpdateDCV', fields: { loginName: 'acme', loginPassword: '[redacted]', orderNumber: '1', newMethod: 'EMAIL' } }
]

describe("the order routes' answer serializer", () => {
  it('writes what fast-json-stringify writes for the union, for a result and for a dry run', () => {
    const ours = answerSerializers(external, {})(route)
    const stock = SerializerSelector()(external, {})(route)
    for (const answer of answers) expect(ours(answer)).toBe(stock(answer))
  })

  it('leaves every other schema to fast-json-stringify as it is', () => {
    const plain = { ...route, schema: Type.Ref(DcvResult) }
    expect(answerSerializers(external, {})(plain)(answers[0])).toBe(SerializerSelector()(external, {})(plain)(answers[0]))
  })

  it('does not run the validator per answer, which a union costs fast-json-stringify', () => {
    const stock = SerializerSelector()(external, {})(route)
    const ours = answerSerializers(external, {})(route)
    // fast-json-stringify tells union branches apart with an Ajv validator it builds: count its calls through RegExp tests of the branch's patterns.
    const test = vi.spyOn(RegExp.prototype, 'test')
    ours(answers[0])
    const oursTests = test.mock.calls.length
    test.mockClear()
    stock(answers[0])
    const stockTests = test.mock.calls.length
    test.mockRestore()
    expect(stockTests).toBeGreaterThan(0)
    expect(oursTests).toBe(0)
  })
})
