// The cost per decode of a CSR (PEM in, names out) for the service's reader, for @peculiar/x509's
// Pkcs10CertificateRequest (the simulator's reader), and for the reader the service had before
// (the @peculiar/asn1-* schemas, kept here only; those packages come with @peculiar/x509), on the
// bench's request shapes. `npx tsx scripts/bench/csr-decode.ts [--rounds 9]`
import { parseArgs } from 'node:util'
import { AsnConvert } from '@peculiar/asn1-schema'
import { CertificationRequest } from '@peculiar/asn1-csr'
import { ExtensionRequest, id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9'
import { id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509'
import { decodeCsr } from '../../src/csr/decode-csr.js'
import { decodeCsr as x509DecodeCsr } from '../../src/simulator/csr.js'
import { makeCsr } from '../../test/fixtures/csr.js'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '9' } } })
const rounds = Number(values.rounds)

/** The previous src/csr/decode-csr.ts, as it was. */
function asn1SchemaDecode(text: string): string[] {
  const base64 = text.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '')
  if (base64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) throw new Error('it is not base64')
  const der = new Uint8Array(Buffer.from(base64, 'base64'))
  if (der[0] !== 0x30) throw new Error('not a SEQUENCE')
  const csr = AsnConvert.parse(der, CertificationRequest)
  const names = new Set<string>()
  const info = csr.certificationRequestInfo
  for (const rdn of info.subject) for (const attribute of rdn) if (attribute.type === '2.5.4.3') names.add(attribute.value.toString().toLowerCase())
  const request = info.attributes.find((attribute) => attribute.type === id_pkcs9_at_extensionRequest)?.values[0]
  const san = request && AsnConvert.parse(request, ExtensionRequest).find((extension) => extension.extnID === id_ce_subjectAltName)
  if (san) for (const name of AsnConvert.parse(san.extnValue.buffer, SubjectAlternativeName)) if (name.dNSName !== undefined) names.add(name.dNSName.toLowerCase())
  return [...names]
}

const SANS = ['brand.example', 'www.brand.example', 'shop.brand.example']
const shapes = {
  'RSA-2048, CN + 2 SANs (the bench request)': await makeCsr({ commonName: 'brand.example', dnsNames: SANS.slice(0, 2), keyAlgorithm: 'RSA-2048' }),
  'RSA-2048, CN + 3 SANs': await makeCsr({ commonName: 'brand.example', dnsNames: SANS, keyAlgorithm: 'RSA-2048' }),
  'EC P-256, CN + 3 SANs': await makeCsr({ commonName: 'brand.example', dnsNames: SANS, keyAlgorithm: 'ECDSA-P256' })
}

const readers: Record<string, (pem: string) => readonly string[] | undefined> = {
  service: (pem) => decodeCsr(pem).names,
  'previous (asn1-schema)': asn1SchemaDecode,
  '@peculiar/x509': (pem) => x509DecodeCsr(pem)?.domainNames
}

/**
 * The median over rounds of the mean time per call, in microseconds, for each function; the
 * functions take turns round by round, so that a load change on the machine hits all of them.
 */
function measure(fns: Array<() => unknown>, calls: number[]): number[] {
  fns.forEach((fn, k) => {
    for (let i = 0; i < (calls[k] as number); i++) fn()
  })
  const means: number[][] = fns.map(() => [])
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const n = calls[k] as number
      const start = process.hrtime.bigint()
      for (let i = 0; i < n; i++) fn()
      means[k]?.push(Number(process.hrtime.bigint() - start) / n / 1000)
    })
  }
  return means.map((m) => m.sort((a, b) => a - b)[Math.floor(rounds / 2)] ?? NaN)
}

const names = Object.keys(readers)
console.log(`Node ${process.version}; µs per decode (PEM text in, names out), median of ${rounds} interleaved rounds`)
console.log(`| request | PEM chars | ${names.join(' | ')} | previous / service | x509 / service |`)
console.log(`|---|---:|${names.map(() => '---:').join('|')}|---:|---:|`)
for (const [shape, csr] of Object.entries(shapes)) {
  const expected = JSON.stringify(readers.service?.(csr.pem))
  for (const [name, read] of Object.entries(readers)) {
    if (JSON.stringify(read(csr.pem)) !== expected) throw new Error(`${name} reads ${shape} differently`)
  }
  // About the same wall time per turn for each reader: the service's is some 50 times faster.
  const times = measure(
    names.map((name) => () => readers[name]?.(csr.pem)),
    [100_000, 2_000, 2_000]
  )
  const [service = NaN, previous = NaN, x509 = NaN] = times
  console.log(`| ${shape} | ${csr.pem.length} | ${times.map((t) => t.toFixed(t < 10 ? 2 : 0)).join(' | ')} | ${(previous / service).toFixed(0)}× | ${(x509 / service).toFixed(0)}× |`)
}
