import { describe, expect, it } from 'vitest'
import { decodeString, DerError, DerReader } from '../../src/csr/der.js'

const bytes = (...values: number[]): Buffer => Buffer.from(values)

/** The tag and contents of the one element in the bytes, or the error reading it. */
function read(buffer: Buffer): { tag: number; contents: number[] } | string {
  try {
    const reader = new DerReader(buffer, 0, buffer.length)
    const tag = reader.next()
    reader.finish('the input')
    return { tag, contents: [...buffer.subarray(reader.start, reader.end)] }
  } catch (err) {
    if (err instanceof DerError) return err.message
    throw err
  }
}

describe('DerReader', () => {
  it('reads short and long definite lengths', () => {
    expect(read(bytes(0x04, 0x02, 0xaa, 0xbb))).toEqual({ tag: 0x04, contents: [0xaa, 0xbb] })
    const long = Buffer.concat([bytes(0x04, 0x81, 0x80), Buffer.alloc(0x80, 7)])
    expect(read(long)).toMatchObject({ tag: 0x04 })
    const longer = Buffer.concat([bytes(0x04, 0x82, 0x01, 0x00), Buffer.alloc(0x100, 7)])
    expect(read(longer)).toMatchObject({ tag: 0x04 })
  })

  it('refuses what BER allows and DER does not: indefinite and non-minimal lengths, low tag numbers in the long form', () => {
    expect(read(bytes(0x30, 0x80, 0x00, 0x00))).toBe('an indefinite length is not DER')
    expect(read(bytes(0x04, 0x81, 0x02, 0xaa, 0xbb))).toBe('a length is not minimally encoded')
    expect(read(Buffer.concat([bytes(0x04, 0x82, 0x00, 0x80), Buffer.alloc(0x80)]))).toBe('a length is not minimally encoded')
    expect(read(bytes(0x1f, 0x05, 0x00))).toBe('a low tag number is in the high-tag-number form')
    expect(read(bytes(0x1f, 0x80, 0x21, 0x00))).toBe('a tag number is not minimally encoded')
    expect(read(bytes(0x9f, 0x21, 0x01, 0xaa))).toMatchObject({ tag: 0x9f, contents: [0xaa] })
  })

  it('refuses lengths beyond the input or its parent, missing parts and trailing bytes', () => {
    expect(read(bytes(0x04, 0x03, 0xaa, 0xbb))).toBe('an element runs past its parent')
    expect(read(bytes(0x04))).toBe('a length is missing')
    expect(read(bytes(0x04, 0x82, 0x01))).toBe('a length is cut short')
    expect(read(bytes(0x04, 0x85, 1, 0, 0, 0, 0))).toBe('a length is too large')
    expect(read(bytes(0x04, 0x01, 0xaa, 0x00))).toBe('the input has trailing data')
    // A child longer than what its parent holds, though the input has the bytes.
    const parent = new DerReader(bytes(0x30, 0x02, 0x04, 0x02, 0xaa, 0xbb), 0, 6)
    parent.next()
    expect(() => parent.contents().next()).toThrow('an element runs past its parent')
  })

  it('checks object identifiers: not empty, each subidentifier minimal, the last one complete', () => {
    const oid = (...contents: number[]): string => {
      const reader = new DerReader(bytes(0x06, contents.length, ...contents), 0, contents.length + 2)
      reader.next()
      try {
        reader.checkOid('the identifier')
        return 'ok'
      } catch (err) {
        return (err as Error).message
      }
    }
    expect(oid(0x55, 0x04, 0x03)).toBe('ok')
    expect(oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e)).toBe('ok')
    expect(oid()).toBe('the identifier is cut short')
    expect(oid(0x55, 0x84)).toBe('the identifier is cut short')
    expect(oid(0x55, 0x80, 0x04)).toBe('the identifier is not minimally encoded')
  })
})

describe('decodeString', () => {
  const decode = (tag: number, ...contents: number[]): string => {
    try {
      return decodeString(tag, Buffer.from(contents), 0, contents.length)
    } catch (err) {
      if (err instanceof DerError) return `refused: ${err.message}`
      throw err
    }
  }
  const utf16 = (text: string): number[] => [...Buffer.from(text, 'utf16le').swap16()]
  const ucs4 = (text: string): number[] => [...text].flatMap((c) => { const b = Buffer.alloc(4); b.writeUInt32BE(c.codePointAt(0) as number); return [...b] })

  it('decodes each string type X.509 names use', () => {
    expect(decode(0x0c, ...Buffer.from('b\u00fccher.\u{1f600}.example'))).toBe('b\u00fccher.\u{1f600}.example')
    expect(decode(0x13, ...Buffer.from('Brand Example'))).toBe('Brand Example')
    expect(decode(0x16, ...Buffer.from('*.brand.example'))).toBe('*.brand.example')
    expect(decode(0x14, ...Buffer.from('caf\u00e9', 'latin1'))).toBe('caf\u00e9')
    expect(decode(0x1e, ...utf16('\u043f\u0440\u0438\u043c\u0435\u0440'))).toBe('\u043f\u0440\u0438\u043c\u0435\u0440')
    expect(decode(0x1c, ...ucs4('\u4f8b.\u{1f600}'))).toBe('\u4f8b.\u{1f600}')
    expect(decode(0x0c)).toBe('')
  })

  it('refuses bytes that are no character of their type', () => {
    expect(decode(0x16, 0x61, 0xe9)).toMatch(/^refused/)
    expect(decode(0x13, 0xff)).toMatch(/^refused/)
    expect(decode(0x0c, 0xc3)).toMatch(/^refused/) // cut short
    expect(decode(0x0c, 0xc0, 0x80)).toMatch(/^refused/) // overlong
    expect(decode(0x0c, 0xed, 0xa0, 0x80)).toMatch(/^refused/) // a surrogate
    expect(decode(0x1e, 0x00, 0x61, 0x00)).toMatch(/^refused/) // odd length
    expect(decode(0x1e, 0xd8, 0x3d, 0xde, 0x00)).toMatch(/^refused/) // a surrogate pair: not UCS-2
    expect(decode(0x1c, 0x00, 0x00, 0x61)).toMatch(/^refused/)
    expect(decode(0x1c, 0x00, 0x11, 0x00, 0x00)).toMatch(/^refused/) // beyond U+10FFFF
    expect(decode(0x1c, 0x00, 0x00, 0xd8, 0x00)).toMatch(/^refused/)
    expect(decode(0x02, 0x01)).toBe('refused: a name is not a character string')
  })
})
