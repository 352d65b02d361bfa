import {
  BIT_STRING,
  BOOLEAN,
  contextTag,
  decodeString,
  DerError,
  DerReader,
  IA5_STRING,
  INTEGER,
  OCTET_STRING,
  SEQUENCE,
  SET
} from './der.js'

export interface DecodedCsr {
  /** The DER bytes: what Sectigo hashes for CSR-hash DCV. */
  der: Uint8Array
  /** The subject CNs and SAN dNSNames, lower-cased, without duplicates. */
  names: string[]
}

export class CsrDecodeError extends Error {
  constructor(readonly reason: string) {
    super(`the CSR cannot be decoded: ${reason}`)
    this.name = 'CsrDecodeError'
  }
}

const NOT_BASE64 = 'it is not base64'
const NOT_A_REQUEST = 'it is not a PKCS#10 certificate request'
const NAMES_UNREADABLE = 'its subject or subject alternative names cannot be read'

/** The contents of the object identifiers looked for: 2.5.4.3, 1.2.840.113549.1.9.14, 2.5.29.17. */
const COMMON_NAME = new Uint8Array([0x55, 0x04, 0x03])
const EXTENSION_REQUEST = new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e])
const SUBJECT_ALT_NAME = new Uint8Array([0x55, 0x1d, 0x11])

const ATTRIBUTES = contextTag(0, true)
const DNS_NAME = contextTag(2, false)
/** The other GeneralName choices (RFC 5280 4.2.1.6), skipped: otherName to registeredID. */
const OTHER_GENERAL_NAMES = new Set([
  contextTag(0, true),
  contextTag(1, false),
  contextTag(3, true),
  contextTag(4, true),
  contextTag(5, true),
  contextTag(6, false),
  contextTag(7, false),
  contextTag(8, false)
])

/**
 * Decodes a PKCS#10 CSR given as PEM (with or without header and footer) or bare base64.
 *
 * Only the subject CNs and the subjectAltName dNSNames are read; everything else (the public key,
 * the signature, other attributes and extensions) is checked as DER framing only and forwarded to
 * Sectigo, which answers -110 for a request it cannot use. A general ASN.1 schema parser cost
 * 100 to 200 µs a call here; this walk costs a few.
 */
export function decodeCsr(text: string): DecodedCsr {
  const bytes = base64Der(text)
  if (bytes === undefined) throw new CsrDecodeError(NOT_BASE64)
  // A plain view of the decoded bytes, as before; copying them out of Node's pool cost more than
  // reading them.
  const der = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)
  let parts: RequestParts
  try {
    parts = walkRequest(bytes)
  } catch (err) {
    if (err instanceof DerError) throw new CsrDecodeError(NOT_A_REQUEST)
    throw err
  }
  try {
    return { der, names: readNames(bytes, parts) }
  } catch (err) {
    if (err instanceof DerError) throw new CsrDecodeError(NAMES_UNREADABLE)
    throw err
  }
}

interface RequestParts {
  /** Each subject commonName value as tag, start and end of its contents, flattened. */
  commonNames: number[]
  /** The first value of the first extensionRequest attribute, if any. */
  extensionRequest: DerReader | undefined
}

/**
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo SEQUENCE { version INTEGER,
 * subject Name, subjectPKInfo SEQUENCE, attributes [0] IMPLICIT SET OF Attribute },
 * signatureAlgorithm SEQUENCE, signature BIT STRING } (RFC 2986)
 */
function walkRequest(der: Buffer): RequestParts {
  const top = new DerReader(der, 0, der.length)
  top.expect(SEQUENCE, 'the request')
  top.finish('the input')
  const request = top.contents()
  request.expect(SEQUENCE, 'certificationRequestInfo')
  const info = request.contents()
  request.expect(SEQUENCE, 'signatureAlgorithm')
  request.expect(BIT_STRING, 'signature')
  request.finish('the request')

  info.expect(INTEGER, 'version')
  // v1(0) is the only version RFC 2986 defines; one content byte is also the only DER form of 0.
  if (info.end - info.start !== 1 || der[info.start] !== 0) throw new DerError('the version is not v1')
  info.expect(SEQUENCE, 'subject')
  const subject = info.contents()
  info.expect(SEQUENCE, 'subjectPKInfo')
  info.expect(ATTRIBUTES, 'attributes')
  const attributes = info.contents()
  info.finish('certificationRequestInfo')

  // Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value ANY }
  const commonNames: number[] = []
  while (subject.more) {
    subject.expect(SET, 'a relative distinguished name')
    const rdn = subject.contents()
    while (rdn.more) {
      rdn.expect(SEQUENCE, 'a subject attribute')
      const attribute = rdn.contents()
      attribute.next()
      attribute.checkOid('a subject attribute type')
      const isCommonName = attribute.contentsEqual(COMMON_NAME)
      attribute.next()
      if (isCommonName) commonNames.push(attribute.tag, attribute.start, attribute.end)
      attribute.finish('a subject attribute')
    }
  }

  // Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET OF ANY }
  let extensionRequest: DerReader | undefined
  let seenExtensionRequest = false
  while (attributes.more) {
    attributes.expect(SEQUENCE, 'an attribute')
    const attribute = attributes.contents()
    attribute.next()
    attribute.checkOid('an attribute type')
    const isExtensionRequest = attribute.contentsEqual(EXTENSION_REQUEST)
    attribute.expect(SET, 'attribute values')
    const values = attribute.contents()
    attribute.finish('an attribute')
    // extensionRequest is single-valued (RFC 2985): the first such attribute and its first value.
    if (isExtensionRequest && !seenExtensionRequest) {
      seenExtensionRequest = true
      if (values.more) {
        values.next()
        extensionRequest = new DerReader(der, values.head, values.end)
      }
    }
    while (values.more) values.next()
  }
  return { commonNames, extensionRequest }
}

/**
 * The CNs in subject order, then the dNSNames of the subjectAltName extensions in their order:
 * Extensions ::= SEQUENCE OF SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING }, and subjectAltName's extnValue holds GeneralNames ::= SEQUENCE OF
 * GeneralName, of which dNSName is [2] IMPLICIT IA5String.
 */
function readNames(der: Buffer, { commonNames, extensionRequest }: RequestParts): string[] {
  const names = new Set<string>()
  for (let i = 0; i < commonNames.length; i += 3) {
    names.add(decodeString(commonNames[i] as number, der, commonNames[i + 1] as number, commonNames[i + 2] as number).toLowerCase())
  }
  if (extensionRequest === undefined) return [...names]
  extensionRequest.expect(SEQUENCE, 'extensionRequest')
  const extensions = extensionRequest.contents()
  while (extensions.more) {
    extensions.expect(SEQUENCE, 'an extension')
    const extension = extensions.contents()
    extension.next()
    extension.checkOid('an extension identifier')
    const isSubjectAltName = extension.contentsEqual(SUBJECT_ALT_NAME)
    if (extension.next() === BOOLEAN) {
      if (extension.end - extension.start !== 1) throw new DerError('critical is not one byte')
      extension.next()
    }
    if (extension.tag !== OCTET_STRING) throw new DerError('extnValue is not an OCTET STRING')
    extension.finish('an extension')
    // RFC 5280 allows one subjectAltName; a request with more has each one read, as @peculiar/x509 does.
    if (!isSubjectAltName) continue
    const value = extension.contents()
    value.expect(SEQUENCE, 'subjectAltName')
    value.finish('subjectAltName')
    const generalNames = value.contents()
    while (generalNames.more) {
      const tag = generalNames.next()
      if (tag === DNS_NAME) names.add(decodeString(IA5_STRING, der, generalNames.start, generalNames.end).toLowerCase())
      else if (!OTHER_GENERAL_NAMES.has(tag)) throw new DerError('a general name is of no known choice')
    }
  }
  return [...names]
}

/** For each ASCII code: whether it is a base64 digit, a space (what `\s` matches), or neither. */
const DIGIT = 1
const SPACE = 2
const ASCII_CLASS = new Uint8Array(128)
for (const code of Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')) ASCII_CLASS[code] = DIGIT
for (const code of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) ASCII_CLASS[code] = SPACE

/** What else `\s` matches: Unicode spaces, line and paragraph separators, the BOM. */
const OTHER_SPACES = /[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/g

/**
 * The end of a PEM armour line `-----BEGIN LABEL-----` or `-----END LABEL-----` (label of A-Z,
 * 0-9 and spaces) that starts at `at`, or -1.
 */
function armourEnd(text: string, at: number): number {
  if (!text.startsWith('-----', at)) return -1
  at += 5
  if (text.startsWith('BEGIN ', at)) at += 6
  else if (text.startsWith('END ', at)) at += 4
  else return -1
  const label = at
  for (; at < text.length; at++) {
    const code = text.charCodeAt(at)
    if (!((code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x20)) break
  }
  return at > label && text.startsWith('-----', at) ? at + 5 : -1
}

/**
 * Decodes PEM or bare base64: armour lines and whitespace anywhere are dropped, and what remains
 * must be base64 digits, then at most two `=`, in all a multiple of four characters. Undefined
 * for anything else.
 *
 * The usual shapes (armour first and last, lines ending in LF or CRLF, or one line) are taken
 * apart with string searches and checked by encoding the decoded bytes again: Node's decoder skips
 * what is not base64 and takes base64url digits too, but its encoder writes only canonical base64,
 * so getting the same text back proves the text was that. Anything else goes through
 * `checkedBase64`, one pass over the characters, several times slower.
 */
function base64Der(text: string): Buffer | undefined {
  let start = 0
  let end = text.length
  if (text.startsWith('-----BEGIN ')) {
    start = armourEnd(text, 0)
    if (start < 0) return undefined
    const footer = text.lastIndexOf('-----END ')
    if (footer >= start) {
      const after = armourEnd(text, footer)
      if (after >= 0 && isSpace(text, after)) end = footer
    }
  }
  let base64 = text.slice(start, end).replaceAll('\n', '')
  if (base64.includes('\r')) base64 = base64.replaceAll('\r', '')
  if (base64.length % 4 === 0 && base64.length > 0) {
    const der = Buffer.from(base64, 'base64')
    if (der.toString('base64') === base64) return der
  }
  return checkedBase64(text)
}

/** Whether the text from `at` on is ASCII whitespace only. */
function isSpace(text: string, at: number): boolean {
  for (; at < text.length; at++) if (ASCII_CLASS[text.charCodeAt(at)] !== SPACE) return false
  return true
}

/**
 * The exact rule of `base64Der`, in one pass: the text is checked character by character, then
 * Node's decoder decodes what passed.
 */
function checkedBase64(text: string): Buffer | undefined {
  const length = text.length
  let digits = 0
  let padding = 0
  /** Start and end of each armour line. */
  let armour: number[] | undefined
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i)
    const kind = ASCII_CLASS[code]
    if (kind === DIGIT) {
      if (padding > 0) return undefined
      digits++
    } else if (kind === SPACE) {
      continue
    } else if (code === 0x3d) {
      if (digits === 0 || ++padding > 2) return undefined
    } else if (code === 0x2d) {
      const end = armourEnd(text, i)
      if (end < 0) return undefined
      ;(armour ??= []).push(i, end)
      i = end - 1
    } else if (code >= 0x80) {
      // Rare: text beyond ASCII passes only if all of that is spaces. A tab in their place matches
      // no armour and is dropped the same way, and Node's decoder then sees ASCII only.
      const spaced = text.replace(OTHER_SPACES, '\t')
      return spaced === text ? undefined : checkedBase64(spaced)
    } else {
      return undefined
    }
  }
  if (digits === 0 || (digits + padding) % 4 !== 0) return undefined
  let base64 = text
  if (armour !== undefined) {
    base64 = text.slice(0, armour[0])
    for (let k = 1; k < armour.length; k += 2) base64 += text.slice(armour[k], armour[k + 1] ?? length)
  }
  return Buffer.from(base64, 'base64')
}
