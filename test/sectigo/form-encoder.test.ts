import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FormEncodingError, encodeForm } from '../../src/sectigo/form-encoder.js'

// Characters that break naive encoders, mixed with ordinary and non-ASCII text.
const hostileChar = fc.constantFrom('&', '=', '+', '%', '\r', '\n', '\u0000', ' ', '#', '?', ';', '%26', '%3D', 'é', '漢', '😀', '\u202e')
const hostileString = fc
  .array(fc.oneof(hostileChar, fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 12 })
  .map((parts) => parts.join(''))

const fieldName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,15}$/)
const fields = fc.uniqueArray(fc.tuple(fieldName, hostileString), { selector: ([name]) => name, maxLength: 8 })

function decode(body: string): Array<[string, string]> {
  return [...new URLSearchParams(body)]
}

describe('form encoder', () => {
  it('carries every value exactly: no value can add, drop or alter another field', () => {
    fc.assert(
      fc.property(fields, (input) => {
        expect(decode(encodeForm(input))).toEqual(input)
      }),
      { numRuns: 500 }
    )
  })

  it('keeps the smuggling attempt inside its own field', () => {
    const body = encodeForm([
      ['loginName', 'acme'],
      ['domainName', 'example.com&loginPassword=x'],
      ['loginPassword', 'real']
    ])
    expect(body).toBe('loginName=acme&domainName=example.com%26loginPassword%3Dx&loginPassword=real')
    expect(new URLSearchParams(body).getAll('loginPassword')).toEqual(['real'])
  })

  it('encodes space as %20 and plus as %2B, so either decoding rule reads them right', () => {
    const body = encodeForm([['v', 'a b+c']])
    expect(body).toBe('v=a%20b%2Bc')
    expect(decodeURIComponent(body.slice(2))).toBe('a b+c')
  })

  it('encodes UTF-8', () => {
    expect(encodeForm([['o', 'Müller & Söhne 漢']])).toBe('o=M%C3%BCller%20%26%20S%C3%B6hne%20%E6%BC%A2')
  })

  it('refuses text that is not well-formed UTF-16, naming the field', () => {
    expect(() => encodeForm([['organizationName', 'a\ud800b']])).toThrow(FormEncodingError)
    expect(() => encodeForm([['organizationName', 'a\ud800b']])).toThrow(/organizationName/)
  })

  it('refuses a field set twice', () => {
    expect(() => encodeForm([['a', '1'], ['a', '2']])).toThrow(/twice/)
  })
})
