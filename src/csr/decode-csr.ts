// @peculiar/x509 resolves its parsers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata'
import { Pkcs10CertificateRequest, SubjectAlternativeNameExtension } from '@peculiar/x509'

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

const SAN_OID = '2.5.29.17'
const ARMOUR = /-----(BEGIN|END) [A-Z0-9 ]+-----/g
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Decodes a PKCS#10 CSR given as PEM (with or without header and footer) or bare base64. */
export function decodeCsr(text: string): DecodedCsr {
  const base64 = text.replace(ARMOUR, '').replace(/\s+/g, '')
  if (base64 === '' || !BASE64.test(base64) || base64.length % 4 !== 0) {
    throw new CsrDecodeError('it is not base64')
  }
  const der = new Uint8Array(Buffer.from(base64, 'base64'))
  let csr: Pkcs10CertificateRequest
  try {
    csr = new Pkcs10CertificateRequest(der)
  } catch {
    throw new CsrDecodeError('it is not a PKCS#10 certificate request')
  }
  const names = new Set<string>()
  try {
    for (const cn of csr.subjectName.getField('CN')) names.add(cn.toLowerCase())
    const extension = csr.getExtension(SAN_OID)
    if (extension) {
      const san = extension instanceof SubjectAlternativeNameExtension ? extension : new SubjectAlternativeNameExtension(extension.rawData)
      for (const name of san.names.items) if (name.type === 'dns') names.add(name.value.toLowerCase())
    }
  } catch {
    throw new CsrDecodeError('its subject or subject alternative names cannot be read')
  }
  return { der, names: [...names] }
}
