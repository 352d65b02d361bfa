import { AsnConvert } from '@peculiar/asn1-schema'
import { CertificationRequest } from '@peculiar/asn1-csr'
import { ExtensionRequest, id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9'
import { id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509'

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

/** X.520 commonName (id-at-commonName), which `@peculiar/asn1-x509` does not export. */
const COMMON_NAME = '2.5.4.3'
const ARMOUR = /-----(BEGIN|END) [A-Z0-9 ]+-----/g
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Decodes a PKCS#10 CSR given as PEM (with or without header and footer) or bare base64.
 *
 * The ASN.1 schemas of `@peculiar/asn1-csr` are used directly rather than `@peculiar/x509`'s
 * `Pkcs10CertificateRequest`, which re-encodes and re-parses every attribute and extension to build
 * its objects: only the subject CNs and the subjectAltName dNSNames are needed here, and that
 * round trip was the largest single cost of a replacement call.
 */
export function decodeCsr(text: string): DecodedCsr {
  const base64 = text.replace(ARMOUR, '').replace(/\s+/g, '')
  if (base64 === '' || !BASE64.test(base64) || base64.length % 4 !== 0) {
    throw new CsrDecodeError('it is not base64')
  }
  const der = new Uint8Array(Buffer.from(base64, 'base64'))
  let csr: CertificationRequest
  try {
    // The schema parser does not check the outer tag: a request is a DER SEQUENCE (0x30).
    if (der[0] !== 0x30) throw new Error('not a SEQUENCE')
    csr = AsnConvert.parse(der, CertificationRequest)
  } catch {
    throw new CsrDecodeError('it is not a PKCS#10 certificate request')
  }
  const names = new Set<string>()
  try {
    const info = csr.certificationRequestInfo
    for (const rdn of info.subject) {
      for (const attribute of rdn) if (attribute.type === COMMON_NAME) names.add(attribute.value.toString().toLowerCase())
    }
    // extensionRequest is single-valued (RFC 2985): the first such attribute and its first value.
    const request = info.attributes.find((attribute) => attribute.type === id_pkcs9_at_extensionRequest)?.values[0]
    const san = request && AsnConvert.parse(request, ExtensionRequest).find((extension) => extension.extnID === id_ce_subjectAltName)
    if (san) {
      for (const name of AsnConvert.parse(san.extnValue.buffer, SubjectAlternativeName)) {
        if (name.dNSName !== undefined) names.add(name.dNSName.toLowerCase())
      }
    }
  } catch {
    throw new CsrDecodeError('its subject or subject alternative names cannot be read')
  }
  return { der, names: [...names] }
}
