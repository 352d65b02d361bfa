// A strict DER reader of the few things a certification request needs: element headers, object
// identifiers compared by their bytes, and the character strings X.509 names use.
import { isUtf8 } from 'node:buffer'

export class DerError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DerError'
  }
}

export const SEQUENCE = 0x30
export const SET = 0x31
export const INTEGER = 0x02
export const BOOLEAN = 0x01
export const BIT_STRING = 0x03
export const OCTET_STRING = 0x04
export const OBJECT_IDENTIFIER = 0x06
export const UTF8_STRING = 0x0c
export const PRINTABLE_STRING = 0x13
export const TELETEX_STRING = 0x14
export const IA5_STRING = 0x16
export const UNIVERSAL_STRING = 0x1c
export const BMP_STRING = 0x1e

/** A context-specific tag: `[n]`, constructed or not. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n
}

/**
 * Reads the elements of one DER value's contents in order. After `next()`, `tag` is the element's
 * identifier octet (the first one, for the high-tag-number form, which no expected tag matches),
 * `head` is where the element begins and `start`/`end` bound its contents; the reader is then past
 * the element.
 */
export class DerReader {
  tag = 0
  head = 0
  start = 0
  end = 0
  private pos: number

  constructor(
    readonly bytes: Buffer,
    from: number,
    private readonly limit: number
  ) {
    this.pos = from
  }

  /** Whether another element follows within the contents. */
  get more(): boolean {
    return this.pos < this.limit
  }

  next(): number {
    const bytes = this.bytes
    const limit = this.limit
    let pos = this.pos
    if (pos >= limit) throw new DerError('an element is missing')
    const tag = bytes[pos++] as number
    if ((tag & 0x1f) === 0x1f) {
      // High-tag-number form: base-128 digits, the first not 0, the number 31 or more (X.690 8.1.2.4).
      if (pos >= limit || bytes[pos] === 0x80) throw new DerError('a tag number is not minimally encoded')
      let number = 0
      let digit: number
      do {
        if (pos >= limit || number > 0xffffff) throw new DerError('a tag number is cut short or too large')
        digit = bytes[pos++] as number
        number = number * 128 + (digit & 0x7f)
      } while (digit & 0x80)
      if (number < 31) throw new DerError('a low tag number is in the high-tag-number form')
    }
    if (pos >= limit) throw new DerError('a length is missing')
    let length = bytes[pos++] as number
    if (length & 0x80) {
      const count = length & 0x7f
      // 0x80 is BER's indefinite length; more than four length octets would exceed any input here.
      if (count === 0) throw new DerError('an indefinite length is not DER')
      if (count > 4) throw new DerError('a length is too large')
      if (pos + count > limit) throw new DerError('a length is cut short')
      if (bytes[pos] === 0) throw new DerError('a length is not minimally encoded')
      length = 0
      for (let i = 0; i < count; i++) length = length * 256 + (bytes[pos++] as number)
      if (length < 0x80) throw new DerError('a length is not minimally encoded')
    }
    if (length > limit - pos) throw new DerError('an element runs past its parent')
    this.tag = tag
    this.head = this.pos
    this.start = pos
    this.end = pos + length
    this.pos = pos + length
    return tag
  }

  /** `next()`, which must be of the given tag. */
  expect(tag: number, what: string): void {
    if (this.next() !== tag) throw new DerError(`${what} has the wrong tag`)
  }

  /** A reader over the contents of the element read last. */
  contents(): DerReader {
    return new DerReader(this.bytes, this.start, this.end)
  }

  /** Refuses anything left in the contents. */
  finish(what: string): void {
    if (this.pos !== this.limit) throw new DerError(`${what} has trailing data`)
  }

  /** Whether the element read last has exactly these contents. */
  contentsEqual(expected: Uint8Array): boolean {
    const length = expected.length
    if (this.end - this.start !== length) return false
    const bytes = this.bytes
    for (let i = 0, at = this.start; i < length; i++, at++) if (bytes[at] !== expected[i]) return false
    return true
  }

  /**
   * Checks that the element read last is a well-formed OBJECT IDENTIFIER: at least one
   * subidentifier, each in minimal base 128 (no leading 0x80), the last one complete. Its value is
   * then compared by bytes, which DER makes unique.
   */
  checkOid(what: string): void {
    if (this.tag !== OBJECT_IDENTIFIER) throw new DerError(`${what} is not an OBJECT IDENTIFIER`)
    const bytes = this.bytes
    const end = this.end
    if (this.start === end || ((bytes[end - 1] as number) & 0x80) !== 0) throw new DerError(`${what} is cut short`)
    let first = true
    for (let at = this.start; at < end; at++) {
      const byte = bytes[at] as number
      if (first && byte === 0x80) throw new DerError(`${what} is not minimally encoded`)
      first = (byte & 0x80) === 0
    }
  }

  /** The element read last, a character string of a type X.509 names use, decoded. */
  string(): string {
    return decodeString(this.tag, this.bytes, this.start, this.end)
  }
}

function isAscii(bytes: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if ((bytes[at] as number) & 0x80) return false
  return true
}

/**
 * Decodes a character string by its tag: UTF8String as strict UTF-8; PrintableString and IA5String
 * as 7-bit ASCII; TeletexString as Latin-1 (what T.61 text in certificates is in practice, and how
 * OpenSSL reads it); BMPString as UCS-2 big-endian; UniversalString as UCS-4 big-endian. Anything
 * that is not a character of its type is refused rather than guessed at.
 */
export function decodeString(tag: number, bytes: Buffer, start: number, end: number): string {
  switch (tag) {
    case PRINTABLE_STRING:
    case IA5_STRING:
      if (!isAscii(bytes, start, end)) throw new DerError('a 7-bit string has a byte above 0x7f')
      return bytes.toString('latin1', start, end)
    case UTF8_STRING:
      if (isAscii(bytes, start, end)) return bytes.toString('latin1', start, end)
      // isUtf8 refuses what is not well-formed UTF-8: overlong forms, surrogates, beyond U+10FFFF.
      if (!isUtf8(bytes.subarray(start, end))) throw new DerError('a UTF8String is not UTF-8')
      return bytes.toString('utf8', start, end)
    case TELETEX_STRING:
      return bytes.toString('latin1', start, end)
    case BMP_STRING: {
      if ((end - start) % 2 !== 0) throw new DerError('a BMPString has an odd length')
      let text = ''
      for (let at = start; at < end; at += 2) {
        const unit = ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
        // Surrogates are not characters of the Basic Multilingual Plane.
        if (unit >= 0xd800 && unit <= 0xdfff) throw new DerError('a BMPString holds a surrogate')
        text += String.fromCharCode(unit)
      }
      return text
    }
    case UNIVERSAL_STRING: {
      if ((end - start) % 4 !== 0) throw new DerError('a UniversalString length is not a multiple of 4')
      let text = ''
      for (let at = start; at < end; at += 4) {
        const point = (bytes[at] as number) * 0x1000000 + (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
        if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) throw new DerError('a UniversalString holds no character')
        text += String.fromCodePoint(point)
      }
      return text
    }
    default:
      throw new DerError('a name is not a character string')
  }
}
