// Reading the `csr` argument: PEM with or without its header and footer, or bare base64.

// @peculiar/x509 resolves its parsers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata'
import { Pkcs10CertificateRequest, SubjectAlternativeNameExtension } from '@peculiar/x509'

export interface DecodedCsr {
  /** The subject CNs and the SAN dNSNames, in lower case, without repeats. */
  readonly domainNames: readonly string[]
}

const PEM_BOUNDARY = /-----(?:BEGIN|END) [^-]+-----/g

/** The CSR's names, or undefined when the text is not a PKCS#10 request (Sectigo's -110). */
export function decodeCsr(text: string): DecodedCsr | undefined {
  const base64 = text.replace(PEM_BOUNDARY, '').replace(/\s+/g, '')
  if (base64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined
  try {
    const request = new Pkcs10CertificateRequest(Buffer.from(base64, 'base64'))
    const names = [...request.subjectName.getField('CN')]
    for (const extension of request.extensions) {
      if (extension instanceof SubjectAlternativeNameExtension) {
        names.push(...extension.names.items.filter((name) => name.type === 'dns').map((name) => name.value))
      }
    }
    return { domainNames: [...new Set(names.map((name) => name.toLowerCase()))] }
  } catch {
    return undefined
  }
}
