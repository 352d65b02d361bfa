import { createHash } from 'node:crypto'
import type { CsrHashMethod } from './fields.js'

// Sectigo's CSR-hash DCV values (upstream-notes.md): hashes over the CSR's DER bytes, written in
// hex; Sectigo's examples use upper case, kept in one place here.
const HEX_CASE: 'upper' | 'lower' = 'upper'
/** The token after the SHA-256 (older integrations used comodoca.com). */
const CA_TOKEN = 'sectigo.com'

export type DcvInstructionValue =
  | { method: 'CNAME_CSR_HASH'; cname: { name: string; target: string } }
  | { method: 'HTTP_CSR_HASH' | 'HTTPS_CSR_HASH'; file: { url: string; content: string } }

function hex(algorithm: 'md5' | 'sha256', der: Uint8Array): string {
  const digest = createHash(algorithm).update(der).digest('hex')
  return HEX_CASE === 'upper' ? digest.toUpperCase() : digest
}

/** What to publish so that Sectigo validates `domainName` by the hash of this CSR. */
export function dcvInstruction(domainName: string, method: CsrHashMethod, der: Uint8Array): DcvInstructionValue {
  const md5 = hex('md5', der)
  const sha256 = hex('sha256', der)
  // Neither a DNS label nor a URL host carries the wildcard.
  const host = domainName.replace(/^\*\./, '')
  if (method === 'CNAME_CSR_HASH') {
    return { method, cname: { name: `_${md5}.${host}`, target: `${sha256.slice(0, 32)}.${sha256.slice(32)}.${CA_TOKEN}` } }
  }
  // Sectigo checks each scheme on its own and follows no redirects.
  const scheme = method === 'HTTPS_CSR_HASH' ? 'https' : 'http'
  return { method, file: { url: `${scheme}://${host}/.well-known/pki-validation/${md5}.txt`, content: `${sha256}\n${CA_TOKEN}` } }
}
