import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CsrDecodeError, decodeCsr } from '../../src/csr/decode-csr.js'
import { decodeCsr as simulatorDecodeCsr } from '../../src/simulator/csr.js'
import { makeCsr, type TestCsr } from '../fixtures/csr.js'

let csr: TestCsr
let dir: string

beforeAll(async () => {
  csr = await makeCsr({ commonName: 'Brand.Example', dnsNames: ['brand.example', 'WWW.brand.example', '*.shop.brand.example'] })
  dir = mkdtempSync(join(tmpdir(), 'csr-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A request made by openssl, so the decoder is not only tested on what one library writes. */
function opensslCsr(subject: string, san: string): string {
  const out = join(dir, 'req.pem')
  execFileSync(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', out, '-subj', subject, '-addext', `subjectAltName=${san}`, '-addext', 'keyUsage=digitalSignature'],
    { stdio: 'ignore' }
  )
  return readFileSync(out, 'utf8')
}

function rejection(text: string): string {
  try {
    decodeCsr(text)
  } catch (err) {
    expect(err).toBeInstanceOf(CsrDecodeError)
    return (err as CsrDecodeError).reason
  }
  throw new Error('decoded')
}

describe('decodeCsr', () => {
  it('reads the subject CN and the SAN dNSNames, lower-cased, once each', () => {
    expect(decodeCsr(csr.pem).names).toEqual(['brand.example', 'www.brand.example', '*.shop.brand.example'])
  })

  it('returns the DER bytes for PEM, PEM with CRLF, base64 lines without armour and bare base64', () => {
    const forms = [csr.pem, csr.pem.replace(/\n/g, '\r\n'), csr.pem.split('\n').filter((l) => !l.startsWith('-----')).join('\n'), csr.base64]
    for (const form of forms) expect(Buffer.from(decodeCsr(form).der).equals(Buffer.from(csr.der))).toBe(true)
  })

  it('reads a request without SAN, one without subject, and one with neither', async () => {
    expect(decodeCsr((await makeCsr({ commonName: 'cn.example' })).pem).names).toEqual(['cn.example'])
    expect(decodeCsr((await makeCsr({ dnsNames: ['san.example'] })).pem).names).toEqual(['san.example'])
    expect(decodeCsr((await makeCsr({})).pem).names).toEqual([])
  })

  it('reads an openssl request: several CNs, other subject attributes, IP and e-mail SANs left out', () => {
    const pem = opensslCsr('/CN=one.example/CN=Two.example/O=Org/emailAddress=a@b.example', 'DNS:three.example,IP:10.0.0.1,email:x@y.example,DNS:ONE.example')
    expect(decodeCsr(pem).names).toEqual(['one.example', 'two.example', 'three.example'])
  })

  it('refuses text that is not base64, and base64 that is not a request', async () => {
    expect(rejection('not a csr!')).toBe('it is not base64')
    expect(rejection('')).toBe('it is not base64')
    expect(rejection('QUJD=')).toBe('it is not base64')
    expect(rejection('bm90IGEgY3Ny')).toBe('it is not a PKCS#10 certificate request')
    // A certificate is DER too, but not a certification request.
    const cert = execFileSync('openssl', ['req', '-x509', '-key', join(dir, 'key.pem'), '-subj', '/CN=cert.example', '-days', '1'], { input: '' }).toString()
    expect(rejection(cert)).toBe('it is not a PKCS#10 certificate request')
  })

  it('refuses a request whose outer tag is not a SEQUENCE, and a truncated one', () => {
    const der = Buffer.from(csr.der)
    der[0] = 0xb0 // context-specific [16], not a SEQUENCE (an ASN.1 schema parser alone accepted it)
    expect(rejection(der.toString('base64'))).toBe('it is not a PKCS#10 certificate request')
    const truncated = Buffer.from(csr.der).subarray(0, csr.der.length - 10)
    expect(rejection(truncated.toString('base64'))).toBe('it is not a PKCS#10 certificate request')
  })

  it('finds the same names as the simulator, which reads requests with another library', async () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
    const domain = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('example', 'test', 'EXAMPLE')).map(([labels, tld]) => [...labels, tld].join('.'))
    await fc.assert(
      fc.asyncProperty(fc.option(domain, { nil: undefined }), fc.array(domain, { maxLength: 5 }), async (commonName, dnsNames) => {
        const made = await makeCsr({ commonName, dnsNames })
        expect(decodeCsr(made.pem).names).toEqual(simulatorDecodeCsr(made.pem)?.domainNames)
      }),
      { numRuns: 40 }
    )
  })

  it('never throws anything but CsrDecodeError on damaged requests', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(csr.der.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const der = Buffer.from(csr.der)
        for (const [at, byte] of flips) der[at] = byte
        try {
          const { names } = decodeCsr(der.toString('base64'))
          expect(Array.isArray(names)).toBe(true)
        } catch (err) {
          expect(err).toBeInstanceOf(CsrDecodeError)
        }
      }),
      { numRuns: 500 }
    )
  })
})
