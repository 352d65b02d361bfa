import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LOGIN, dcv, order, post, readLines, readUrlEncoded, simulator } from './helpers.js'

let sim: FastifyInstance
beforeAll(async () => {
  sim = await simulator()
})
afterAll(async () => {
  await sim.close()
})
beforeEach(async () => {
  await sim.inject({ method: 'POST', url: '/__simulator/reset' })
})

const list = (fields: Record<string, string>) => post(sim, '!GetDCVEmailAddressList', { ...LOGIN, ...fields })
const resend = async (fields: Record<string, string>) => readUrlEncoded(await post(sim, '!ResendDCVEmail', { ...LOGIN, ...fields }))
const details = async (fields: Record<string, string>) => readUrlEncoded(await post(sim, '!GetMDCDomainDetails', { ...LOGIN, ...fields }))
const status = async (fields: Record<string, string>) => readUrlEncoded(await post(sim, '!GetDetailedOrderStatus', { ...LOGIN, ...fields }))

describe('GetDCVEmailAddressList', () => {
  it('is deterministic: WHOIS contact, then the five role mailboxes per level from level 2 up, tab-separated', async () => {
    const first = readLines(await list({ domainName: 'www.example.com' }))
    const again = readLines(await list({ domainName: 'www.example.com' }))
    expect(again).toEqual(first)
    expect(first.slice(0, 4)).toEqual(['0', 'domain_name\twww.example.com', 'whois_email\tregistrant@example.com', 'level2_email\tadmin@example.com'])
    const emails = first.slice(3).map((line) => line.split('\t')[1])
    expect(emails).toEqual([
      ...['admin', 'administrator', 'hostmaster', 'postmaster', 'webmaster'].map((m) => `${m}@example.com`),
      ...['admin', 'administrator', 'hostmaster', 'postmaster', 'webmaster'].map((m) => `${m}@www.example.com`)
    ])
    expect(first.slice(8, 9)).toEqual(['level3_email\tadmin@www.example.com'])
  })

  it('answers JSON with the same keys for responseFormat=2', async () => {
    const reply = await list({ domainName: 'example.com', responseFormat: '2' })
    expect(reply.contentType).toBe('application/json; charset=utf-8')
    const body = JSON.parse(reply.body)
    expect(body).toMatchObject({ errorCode: 0, domain_name: 'example.com', whois_email: 'registrant@example.com' })
    expect(body.level2_email).toHaveLength(5)
  })

  it.each([
    [{ domainName: 'not a domain' }, -4, 'domainName'],
    [{ domainName: 'example.com', product: '802' }, -4, 'product'],
    [{ domainName: 'example.com', responseFormat: '3' }, -4, 'responseFormat'],
    [{}, -3, 'domainName'],
    [{ domainName: 'example.com', foo: '1' }, -2, 'foo']
  ])('%o is %i', async (fields, code, name) => {
    const [status, message] = readLines(await list(fields))
    expect(Number(status)).toBe(code)
    expect(message).toContain(`'${name}'`)
  })

  it('-16 for a wrong password; -17 for GET', async () => {
    expect(readLines(await post(sim, '!GetDCVEmailAddressList', { ...LOGIN, loginPassword: 'x', domainName: 'example.com' }))[0]).toBe('-16')
    const res = await sim.inject({ method: 'GET', url: '/products/!GetDCVEmailAddressList?domainName=example.com' })
    expect(res.body.split('\n')[0]).toBe('-17')
  })
})

describe('AutoUpdateDCV and ResendDCVEmail accept only listed addresses', () => {
  it('the WHOIS contact and a parent mailbox are accepted; an unlisted address is -4', async () => {
    expect((await dcv(sim, { orderNumber: '1000001', newMethod: 'EMAIL', newDCVEmailAddress: 'registrant@example.com' })).errorCode).toBe(0)
    expect((await dcv(sim, { orderNumber: '1000001', newMethod: 'EMAIL', newDCVEmailAddress: 'admin@example.com' })).errorCode).toBe(0)
    const refused = await dcv(sim, { orderNumber: '1000001', newMethod: 'EMAIL', newDCVEmailAddress: 'someone@example.com' })
    expect([refused.errorCode, refused.errorItem]).toEqual([-4, 'newDCVEmailAddress'])
    const resent = await resend({ orderNumber: '1000007', dcvEmailAddress: 'ceo@example.com' })
    expect([resent.errorCode, resent.errorItem]).toEqual([-4, 'dcvEmailAddress'])
  })
})

describe('ResendDCVEmail', () => {
  it('to the last address, to a new one (which the order then uses), by base order number', async () => {
    expect((await resend({ orderNumber: '1000007' })).errorCode).toBe(0)
    expect((await resend({ baseOrderNumber: '5000007', dcvEmailAddress: 'webmaster@example.com', dcvTemplateID: '3' })).errorCode).toBe(0)
    const view = await order(sim, '1000007')
    expect(view.domains[0]).toMatchObject({ method: 'EMAIL', email: 'webmaster@example.com' })
    expect(view.calls.map((c) => c.endpoint)).toEqual(['!ResendDCVEmail', '!ResendDCVEmail'])
  })

  it.each([
    [{ orderNumber: '1000003' }, -4, 'orderNumber'],
    [{ orderNumber: '42' }, -4, 'orderNumber'],
    [{}, -3, 'orderNumber'],
    [{ orderNumber: '1000007', dcvTemplateID: '0' }, -4, 'dcvTemplateID'],
    [{ orderNumber: '1000002', dcvEmailAddress: 'admin@example.net' }, -4, 'dcvEmailAddress'],
    [{ orderNumber: '9000005' }, -14, undefined],
    [{ orderNumber: '9000006' }, -42, undefined]
  ])('%o is %i', async (fields, code, item) => {
    const answer = await resend(fields)
    expect([answer.errorCode, answer.errorItem]).toEqual([code, item])
  })
})

describe('GetMDCDomainDetails and GetDetailedOrderStatus', () => {
  it('numbered keys per domain', async () => {
    const answer = await details({ orderNumber: '1000002' })
    expect(answer.params.get('1_domainName')).toBe('example.com')
    expect(answer.params.get('3_dcvMethod')).toBe('CNAME_CSR_HASH')
    expect(answer.params.get('4_dcvStatus')).toBe('Awaiting Validation')
    expect((await details({ orderNumber: '1000004' })).params.get('1_dcvStatus')).toBe('Validated')
  })

  it('the walkable order validates at the second status read after a DCV e-mail, then is issued', async () => {
    expect((await details({ orderNumber: '1000007' })).params.get('1_dcvStatus')).toBe('Awaiting Validation')
    expect((await details({ orderNumber: '1000007' })).params.get('1_dcvStatus')).toBe('Awaiting Validation')
    expect((await resend({ orderNumber: '1000007' })).errorCode).toBe(0)
    expect((await details({ orderNumber: '1000007' })).params.get('1_dcvStatus')).toBe('Awaiting Validation')
    expect((await status({ orderNumber: '1000007', queryType: '1' })).params.get('validationStatus')).toBe('Validated')
    const issued = await status({ orderNumber: '1000007', queryType: '2', showValidityPeriod: 'Y' })
    expect(issued.params.get('certificateStatus')).toBe('Issued')
    expect(Number(issued.params.get('notAfter')) - Number(issued.params.get('notBefore'))).toBe(365 * 86_400)
  })

  it('an admin call validates an order at once', async () => {
    const res = await sim.inject({ method: 'POST', url: '/__simulator/orders/1000001/validate' })
    expect(res.json()).toMatchObject({ status: 'Issued', domains: [{ validated: true }] })
    expect((await sim.inject({ method: 'POST', url: '/__simulator/orders/77/validate' })).statusCode).toBe(404)
  })

  it('queryType 2 lists the replacement orders; queryType 0 only the status', async () => {
    expect((await status({ orderNumber: '2000001', queryType: '2' })).params.get('1_replacementOrderNumber')).toBeNull()
    const replaced = readLines(await post(sim, '!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', showReplOrderNumber: 'Y' }))
    const replacement = replaced[1]
    expect(replacement).toBe('3000001')
    expect((await status({ orderNumber: '2000001', queryType: '2' })).params.get('1_replacementOrderNumber')).toBe('3000001')
    const bare = await status({ orderNumber: '2000001', queryType: '0' })
    expect([...bare.params.keys()]).toEqual(['errorCode', 'certificateStatus'])
    expect((await status({ orderNumber: '3000001', queryType: '1' })).params.get('certificateStatus')).toBe('Pending Validation')
  })

  it('JSON for responseFormat=2', async () => {
    const reply = await post(sim, '!GetMDCDomainDetails', { ...LOGIN, orderNumber: '1000001', responseFormat: '2' })
    expect(JSON.parse(reply.body)).toEqual({ errorCode: 0, '1_domainName': 'www.example.com', '1_dcvMethod': 'EMAIL', '1_dcvStatus': 'Awaiting Validation' })
  })

  it.each([
    ['!GetMDCDomainDetails', { orderNumber: '1000001', showStatusDetails: 'X' }, -4, 'showStatusDetails'],
    ['!GetMDCDomainDetails', {}, -3, 'orderNumber'],
    ['!GetDetailedOrderStatus', { orderNumber: '1000001' }, -3, 'queryType'],
    ['!GetDetailedOrderStatus', { orderNumber: '1000001', queryType: '3' }, -4, 'queryType'],
    ['!GetDetailedOrderStatus', { certificateID: '1', queryType: '0' }, -4, 'certificateID'],
    ['!GetDetailedOrderStatus', { orderNumber: '1000001', queryType: '0', showValidityPeriod: 'yes' }, -4, 'showValidityPeriod'],
    ['!GetDetailedOrderStatus', { orderNumber: '8', queryType: '0' }, -4, 'orderNumber']
  ])('%s %o is %i', async (endpoint, fields, code, item) => {
    const answer = readUrlEncoded(await post(sim, endpoint, { ...LOGIN, ...fields }))
    expect([answer.errorCode, answer.errorItem]).toEqual([code, item])
  })
})
