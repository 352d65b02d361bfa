import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeCsr } from '../../src/simulator/csr.js'
import { isAcceptableDcvEmail, isDomainName } from '../../src/simulator/domain-names.js'
import { FormArguments } from '../../src/simulator/form.js'
import { isBase64, isCalendarDate, isCountry, tooLong } from '../../src/simulator/values.js'
import { makeCsr } from '../fixtures/csr.js'

describe('FormArguments', () => {
  it('decodes by form rules, once, keeping every pair in order', () => {
    const args = FormArguments.parse('a=1+2&b=%2B%25&a=3&c=&&d')
    expect(args.pairs).toEqual([
      ['a', '1 2'],
      ['b', '+%'],
      ['a', '3'],
      ['c', ''],
      ['d', '']
    ])
    expect([args.get('a'), args.get('c'), args.get('x')]).toEqual(['1 2', '', undefined])
    expect(args.firstRepeated()).toBe('a')
    expect(args.firstUnknown(new Set(['a', 'b', 'c']))).toBe('d')
  })

  it('records arguments without the omitted ones, and no name reaches the prototype', () => {
    const record = FormArguments.parse('__proto__=x&loginPassword=s&constructor=y').toRecord(new Set(['loginPassword']))
    expect(Object.keys(record)).toEqual(['__proto__', 'constructor'])
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
  })
})

describe('DCV e-mail addresses', () => {
  it.each([
    ['admin@example.com', 'example.com', true],
    ['administrator@example.com', 'www.example.com', true],
    ['postmaster@shop.example.com', 'shop.example.com', true],
    ['webmaster@example.org', '*.example.org', true],
    ['admin@*.example.org', '*.example.org', false],
    ['admin@org', '*.example.org', false],
    ['root@example.com', 'example.com', false],
    ['admin@www.example.com', 'example.com', false],
    ['admin@notexample.com', 'example.com', false]
  ])('%s for %s: %s', (email, domain, expected) => {
    expect(isAcceptableDcvEmail(email, domain)).toBe(expected)
  })

  it('knows a domain name', () => {
    expect(['example.com', '*.example.com', 'xn--bcher-kva.example', 'a-b.c'].every(isDomainName)).toBe(true)
    expect(['example', '-a.com', 'a..com', 'a.com.', '*.*.a.com', 'a_b.com', `${'a'.repeat(64)}.com`].some(isDomainName)).toBe(false)
  })
})

describe('values', () => {
  it('counts length in characters, not UTF-16 units', () => {
    expect(tooLong('😀😀', 2)).toBe(false)
    expect(tooLong('😀😀😀', 2)).toBe(true)
    expect(tooLong('anything', undefined)).toBe(false)
  })

  it('knows countries, dates and base64', () => {
    expect(['US', 'GB', 'DE', 'AQ'].every(isCountry)).toBe(true)
    expect(['UK', 'us', 'USA', 'ZZ', '840'].some(isCountry)).toBe(false)
    expect(isCalendarDate('2000-02-29')).toBe(true)
    expect(isCalendarDate('1900-02-29')).toBe(false)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }).filter((bytes) => bytes.length > 0), (bytes) => {
        const buffer = Buffer.from(bytes)
        return isBase64(buffer.toString('base64')) && isBase64(buffer.toString('base64url'))
      })
    )
  })
})

describe('decodeCsr', () => {
  it('reads the CN and the SAN dNSNames, lower-cased, without repeats', async () => {
    const csr = await makeCsr({ commonName: 'WWW.Example.com', dnsNames: ['www.example.com', 'Shop.Example.com'] })
    expect(decodeCsr(csr.pem)?.domainNames).toEqual(['www.example.com', 'shop.example.com'])
    expect(decodeCsr(csr.base64)?.domainNames).toEqual(['www.example.com', 'shop.example.com'])
    expect(decodeCsr((await makeCsr({})).pem)?.domainNames).toEqual([])
  })

  it('refuses what is not a PKCS#10 request', async () => {
    const csr = await makeCsr({ commonName: 'a.example' })
    expect(decodeCsr('')).toBeUndefined()
    expect(decodeCsr('%%%')).toBeUndefined()
    expect(decodeCsr(Buffer.from('hello').toString('base64'))).toBeUndefined()
    expect(decodeCsr(csr.base64.slice(0, -12))).toBeUndefined()
  })
})
