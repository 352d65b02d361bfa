// The CSR reader against @peculiar/x509 on a seeded corpus (test/fixtures/csr-corpus.ts); a much
// larger run: `npx tsx scripts/csr-corpus.ts`.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CsrDecodeError, decodeCsr } from '../../src/csr/decode-csr.js'
import {
  damage,
  DAMAGE_KINDS,
  DISAGREEMENTS,
  explain,
  makeRequest,
  Prng,
  serviceReading,
  unreadRanges,
  x509Reading,
  type CorpusRequest,
  type Disagreement
} from '../fixtures/csr-corpus.js'

const requests: CorpusRequest[] = []
const rng = new Prng(20261206)
for (let i = 0; i < 250; i++) requests.push(makeRequest(rng))

/** The classes a valid request may fall into: the others need damage. */
const VALID_CLASSES: ReadonlySet<Disagreement> = new Set(['universal-string-beyond-bmp'])

describe('the CSR reader against @peculiar/x509', () => {
  it('reads every valid request of the corpus as built, and as @peculiar/x509 does but for the named class', () => {
    const counts: Record<string, number> = {}
    for (const request of requests) {
      const service = serviceReading(request.der)
      expect(service, request.shape).toEqual({ names: request.names })
      const verdict = explain(request, request.der, service, x509Reading(request.der))
      expect(verdict === 'agree' || (verdict !== undefined && VALID_CLASSES.has(verdict)), `${request.shape}: ${Buffer.from(request.der).toString('base64')}`).toBe(true)
      counts[verdict ?? 'unexplained'] = (counts[verdict ?? 'unexplained'] ?? 0) + 1
    }
    // The corpus does hold the shapes it claims.
    const shapes = requests.map((r) => r.shape).join('\n')
    for (const part of ['RSA-2048', 'EC P-256', 'no subject', 'CN utf8', 'CN printable', 'CN ia5', 'CN teletex', 'CN bmp', 'CN universal', 'other extensions', 'challengePassword', 'unstructuredName']) {
      expect(shapes).toContain(part)
    }
    expect(requests.some((r) => r.names.length > 20)).toBe(true)
    expect(requests.some((r) => /CN .*CN /.test(r.shape))).toBe(true)
    expect(counts['agree']).toBeGreaterThan(200)
  })

  it('agrees on every damaged copy, or disagrees for a named reason', () => {
    const counts: Record<string, Record<string, number>> = {}
    const unexplained: string[] = []
    const damageRng = new Prng(7)
    // Two copies of each kind of damage for 150 of the requests: 2,400 cases in a few seconds.
    for (const request of requests.slice(0, 150)) {
      const ranges = unreadRanges(request.der)
      for (const kind of DAMAGE_KINDS) {
        for (let i = 0; i < 2; i++) {
          const hurt = damage(damageRng, request.der, kind)
          const service = serviceReading(hurt.der)
          const verdict = explain(request, hurt.der, service, x509Reading(hurt.der))
          const row = (counts[kind] ??= {})
          row[verdict ?? 'unexplained'] = (row[verdict ?? 'unexplained'] ?? 0) + 1
          if (verdict === undefined) unexplained.push(`${kind} ${Buffer.from(request.der).toString('hex')} -> ${Buffer.from(hurt.der).toString('hex')}`)
          // What breaks the framing of the whole request the service always refuses; BER only where
          // it reads, not inside the parts it forwards unread.
          if (kind === 'truncate' || kind === 'insert' || kind === 'remove' || kind === 'trailing') expect(service).toHaveProperty('refused')
          if (kind === 'ber') {
            // (The one-byte ranges are the tags of unread values: the service still reads their lengths.)
            const inUnread = ranges.some(([from, to]) => to - from > 1 && (hurt.at as number) >= from && (hurt.at as number) < to)
            expect('names' in service, Buffer.from(hurt.der).toString('hex')).toBe(inUnread)
          }
        }
      }
    }
    expect(unexplained).toEqual([])
    // Every class is named and explained.
    for (const row of Object.values(counts)) for (const verdict of Object.keys(row)) expect(verdict === 'agree' || verdict in DISAGREEMENTS).toBe(true)
    // The damage reaches the classes it is meant to.
    const seen = new Set(Object.values(counts).flatMap((row) => Object.keys(row)))
    for (const verdict of ['agree', 'unread-part', 'trailing-data', 'not-der', 'name-not-a-string', 'tag-not-checked', 'length-inconsistent']) expect(seen).toContain(verdict)
  })
})

/** The text handling of the previous reader: armour removed, then whitespace, then one pattern. */
function previousBase64(text: string): Buffer | undefined {
  const base64 = text.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '')
  if (base64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return undefined
  return Buffer.from(base64, 'base64')
}

describe('the text around the DER', () => {
  const request = requests[0] as CorpusRequest
  const base64 = Buffer.from(request.der).toString('base64')
  const pieces = [
    '-----BEGIN CERTIFICATE REQUEST-----',
    '-----END CERTIFICATE REQUEST-----',
    '-----BEGIN NEW CERTIFICATE REQUEST-----',
    '-----BEGIN X-----',
    '-----BEGIN -----',
    '-----begin x-----',
    '-----',
    '-',
    '\n',
    '\r\n',
    '\t',
    ' ',
    '\v',
    '\f',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\u0141',
    '=',
    '==',
    '!',
    '_',
    '-----BEGIN \u00a0X-----'
  ]

  it('is read as the previous reader read it: the same texts refused as not base64, the same bytes otherwise', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base64.length), fc.constantFrom(...pieces)), { maxLength: 6 }), fc.boolean(), (insertions, lines) => {
        let text = lines ? (base64.match(/.{1,64}/g) ?? []).join('\n') : base64
        for (const [at, piece] of insertions.sort((a, b) => b[0] - a[0])) text = text.slice(0, Math.min(at, text.length)) + piece + text.slice(Math.min(at, text.length))
        const previous = previousBase64(text)
        let reason: string | undefined
        let der: Uint8Array | undefined
        try {
          der = decodeCsr(text).der
        } catch (err) {
          if (!(err instanceof CsrDecodeError)) throw err
          reason = err.reason
        }
        if (previous === undefined) expect(reason).toBe('it is not base64')
        else {
          expect(reason).not.toBe('it is not base64')
          if (der) expect(Buffer.from(der).equals(previous)).toBe(true)
          else expect(previous.equals(Buffer.from(request.der))).toBe(false)
        }
      }),
      { seed: 20261206, numRuns: 3000 }
    )
  })

  it('reads PEM, PEM with CRLF, lines without armour, one line, and base64 with spaces of any kind', () => {
    const lines = (base64.match(/.{1,64}/g) ?? []).join('\n')
    const forms = [
      `-----BEGIN CERTIFICATE REQUEST-----\n${lines}\n-----END CERTIFICATE REQUEST-----\n`,
      `-----BEGIN CERTIFICATE REQUEST-----\r\n${lines.replace(/\n/g, '\r\n')}\r\n-----END CERTIFICATE REQUEST-----\r\n`,
      lines,
      base64,
      `  ${lines.replace(/\n/g, '\u2028\t')}\u00a0`,
      `-----BEGIN NEW CERTIFICATE REQUEST-----${base64}-----END NEW CERTIFICATE REQUEST-----`
    ]
    for (const form of forms) expect(Buffer.from(decodeCsr(form).der).equals(Buffer.from(request.der))).toBe(true)
  })
})
