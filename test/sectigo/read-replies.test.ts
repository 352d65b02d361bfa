import { describe, expect, it } from 'vitest'
import { dcvEmailListForm, dcvEmailListResult } from '../../src/sectigo/dcv-email-list.js'
import { dcvState, domainDetailsForm, domainDetailsResult } from '../../src/sectigo/domain-details.js'
import { orderState, orderStatusForm, orderStatusResult } from '../../src/sectigo/order-status.js'
import { parseReply } from '../../src/sectigo/response-parser.js'
import { resendForm, resendResult } from '../../src/sectigo/resend-form.js'

const NOW = new Date('2025-03-01T10:00:00.000Z')

describe('GetDCVEmailAddressList', () => {
  it('form: domain, product code, fixed text format', () => {
    expect(dcvEmailListForm('www.example.com', undefined)).toEqual([['domainName', 'www.example.com'], ['responseFormat', '1']])
    expect(dcvEmailListForm('brand.example', 'VMC')).toEqual([['domainName', 'brand.example'], ['product', '801'], ['responseFormat', '1']])
    expect(dcvEmailListForm('brand.example', 'CMC')).toEqual([['domainName', 'brand.example'], ['product', '803'], ['responseFormat', '1']])
  })

  // The text format as public clients' fixtures show it: a status line, then key<TAB>value lines.
  const TEXT = [
    '0',
    'domain_name\twww.example.com',
    'whois_email\towner@example.com',
    'level2_email\tadmin@example.com',
    'level2_email\twebmaster@example.com',
    'level3_email\tadmin@www.example.com',
    ''
  ].join('\r\n')

  it('text reply: WHOIS first, then the longest domain first, times as RFC 3339', () => {
    const result = dcvEmailListResult('www.example.com', parseReply(TEXT), NOW)
    expect(result).toEqual({
      domainName: 'www.example.com',
      emailAddresses: [
        { email: 'owner@example.com', source: 'WHOIS' },
        { email: 'admin@www.example.com', source: 'ROLE_MAILBOX', domainLevel: 3 },
        { email: 'admin@example.com', source: 'ROLE_MAILBOX', domainLevel: 2 },
        { email: 'webmaster@example.com', source: 'ROLE_MAILBOX', domainLevel: 2 }
      ],
      acceptedUntil: '2025-03-02T10:00:00Z'
    })
  })

  it('leaves out a WHOIS "none", blank and unknown lines, and repeats', () => {
    const text = '0\ndomain_name\texample.com\nwhois_email\tnone\nlevel2_email\tadmin@example.com\nlevel2_email\tADMIN@example.com\nnote\tx@y\nno tab here\n'
    expect(dcvEmailListResult('example.com', parseReply(text), NOW).emailAddresses).toEqual([
      { email: 'admin@example.com', source: 'ROLE_MAILBOX', domainLevel: 2 }
    ])
  })

  it('the same keys in a JSON reply', () => {
    const json = JSON.stringify({ errorCode: 0, domain_name: 'example.com', whois_email: 'o@example.com', level2_email: ['admin@example.com'] })
    expect(dcvEmailListResult('example.com', parseReply(json), NOW).emailAddresses.map((a) => a.email)).toEqual(['o@example.com', 'admin@example.com'])
  })

  it('a success that lists nothing is a bad reply', () => {
    expect(() => dcvEmailListResult('example.com', parseReply('0\ndomain_name\texample.com\n'), NOW)).toThrow(/lists no e-mail address/)
  })

  it('an error in the text format: the message is line 2', () => {
    expect(parseReply("-4\nThe value of the 'domainName' argument is invalid!\n")).toMatchObject({
      errorCode: -4,
      errorMessage: "The value of the 'domainName' argument is invalid!"
    })
  })
})

describe('ResendDCVEmail', () => {
  it('form: the order, then the address and template when given', () => {
    expect(resendForm({ kind: 'orderNumber', value: '1000007' }, {})).toEqual([['orderNumber', '1000007']])
    expect(resendForm({ kind: 'baseOrderNumber', value: '5000007' }, { email: 'admin@example.com', dcvTemplateId: 3 })).toEqual([
      ['baseOrderNumber', '5000007'],
      ['dcvEmailAddress', 'admin@example.com'],
      ['dcvTemplateID', '3']
    ])
    expect(resendResult({ kind: 'orderNumber', value: '1' }, { email: 'a@b.example' })).toEqual({ orderNumber: '1', email: 'a@b.example' })
  })
})

describe('GetMDCDomainDetails', () => {
  it('form: the order and the fixed URL-encoded format', () => {
    expect(domainDetailsForm('1000007')).toEqual([['orderNumber', '1000007'], ['responseFormat', '1']])
  })

  it('the URL-encoded fixture of public clients', () => {
    const reply = parseReply('errorCode=0&1_domainName=test.com&1_dcvMethod=EMAIL&1_dcvStatus=Validated')
    expect(domainDetailsResult('7', reply)).toEqual({
      orderNumber: '7',
      allValidated: true,
      domains: [{ domainName: 'test.com', method: 'EMAIL', sectigoMethod: 'EMAIL', state: 'VALIDATED', sectigoStatus: 'Validated' }]
    })
  })

  it('numbers in numeric order, unknown methods as OTHER, and both formats alike', () => {
    const pairs = {
      errorCode: '0',
      '10_domainName': 'j.example.com',
      '10_dcvMethod': 'SOMETHING_NEW',
      '10_dcvStatus': 'Not Validated',
      '2_domainName': 'b.example.com',
      '2_dcvMethod': 'CNAME_CSR_HASH',
      '2_dcvStatus': 'Awaiting Validation'
    }
    const fromUrl = domainDetailsResult('7', parseReply(new URLSearchParams(pairs).toString()))
    const fromJson = domainDetailsResult('7', parseReply(JSON.stringify({ ...pairs, errorCode: 0 })))
    expect(fromUrl).toEqual(fromJson)
    expect(fromUrl.allValidated).toBe(false)
    expect(fromUrl.domains.map((d) => [d.domainName, d.method, d.state])).toEqual([
      ['b.example.com', 'CNAME_CSR_HASH', 'PENDING'],
      ['j.example.com', 'OTHER', 'PENDING']
    ])
  })

  it('"Not Validated" is not validated (a substring test would say it is)', () => {
    expect(dcvState('Not Validated')).toBe('PENDING')
    expect(dcvState(' validated ')).toBe('VALIDATED')
    expect(dcvState('Validation Failed')).toBe('FAILED')
  })

  it('a success naming no domain is a bad reply; a __proto__ key stays data', () => {
    expect(() => domainDetailsResult('7', parseReply('errorCode=0'))).toThrow(/names no domain/)
    const reply = parseReply('errorCode=0&1___proto__=x&1_domainName=a.example.com')
    expect(domainDetailsResult('7', reply).domains[0]?.domainName).toBe('a.example.com')
  })
})

describe('GetDetailedOrderStatus', () => {
  it('form: always queryType 2 with the validity period, URL-encoded', () => {
    expect(orderStatusForm('2000001')).toEqual([
      ['orderNumber', '2000001'],
      ['queryType', '2'],
      ['showValidityPeriod', 'Y'],
      ['responseFormat', '1']
    ])
  })

  it('status, validity as RFC 3339, replacement orders in number order, in both formats', () => {
    const pairs = {
      errorCode: '0',
      certificateStatus: 'Issued',
      validationStatus: 'Validated',
      notBefore: '1735689600',
      notAfter: '1767225600',
      '2_replacementOrderNumber': '3000002',
      '1_replacementOrderNumber': '3000001'
    }
    const expected = {
      orderNumber: '2000001',
      state: 'ISSUED',
      certificateStatus: 'Issued',
      validationStatus: 'Validated',
      validity: { notBefore: '2025-01-01T00:00:00Z', notAfter: '2026-01-01T00:00:00Z' },
      replacementOrders: [{ orderNumber: '3000001' }, { orderNumber: '3000002' }]
    }
    expect(orderStatusResult('2000001', parseReply(new URLSearchParams(pairs).toString()))).toEqual(expected)
    expect(orderStatusResult('2000001', parseReply(JSON.stringify(pairs)))).toEqual(expected)
  })

  it('leaves out what is absent or not a time or not an order number', () => {
    const reply = parseReply('errorCode=0&certificateStatus=Pending+Validation&notBefore=soon&1_replacementOrderNumber=x1')
    expect(orderStatusResult('1', reply)).toEqual({ orderNumber: '1', state: 'PENDING', certificateStatus: 'Pending Validation', replacementOrders: [] })
    expect(() => orderStatusResult('1', parseReply('errorCode=0'))).toThrow(/certificateStatus/)
  })

  it.each([
    ['Issued', 'ISSUED'],
    ['Pending Validation', 'PENDING'],
    ['On Hold', 'ON_HOLD'],
    ['Expired', 'EXPIRED'],
    ['Revoked', 'REVOKED'],
    ['Rejected', 'CANCELLED'],
    ['Something else', 'UNKNOWN']
  ])('%s is %s', (words, state) => {
    expect(orderState(words)).toBe(state)
  })
})
