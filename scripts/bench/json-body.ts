// The cost per call of the strict JSON body parser (UTF-8 check, JSON.parse, the member check for
// duplicates and prototype-poisoning keys) against what Fastify's default parser does
// (secure-json-parse), on the bench's two bodies. `npx tsx scripts/bench/json-body.ts`
import { isUtf8 } from 'node:buffer'
import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import sjson from 'secure-json-parse'
import { parseJsonBody } from '../../src/http/json-body.js'
import { findMemberFault } from '../../src/http/json-text.js'
import { makeCsr } from '../../test/fixtures/csr.js'

/** The bench's logo (scripts/bench.ts): 30,000 deterministic base64 characters. */
function markLogo(): string {
  const chunks: Buffer[] = []
  let seed = Buffer.from('sectigo-proxy bench logo')
  for (let size = 0; size < 22_500; size += 32) {
    seed = createHash('sha256').update(seed).digest()
    chunks.push(seed)
  }
  return Buffer.concat(chunks).subarray(0, 22_500).toString('base64')
}

const csr = await makeCsr({ commonName: 'brand.example', dnsNames: ['brand.example', 'www.brand.example'], keyAlgorithm: 'RSA-2048' })
const bodies = {
  dcv: JSON.stringify({ method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com' }),
  replacement: JSON.stringify({ csr: csr.pem, markLogo: markLogo() })
}
const request = { headers: { 'content-type': 'application/json' } } as unknown as FastifyRequest

/**
 * The median over rounds of the mean time per call, in microseconds, for each function; the
 * functions take turns round by round, so that a load change on the machine hits all of them.
 */
function measure(fns: Array<() => unknown>, calls: number, rounds = 9): number[] {
  for (const fn of fns) for (let i = 0; i < calls; i++) fn()
  const means: number[][] = fns.map(() => [])
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const start = process.hrtime.bigint()
      for (let i = 0; i < calls; i++) fn()
      means[k]?.push(Number(process.hrtime.bigint() - start) / calls / 1000)
    })
  }
  return means.map((m) => m.sort((a, b) => a - b)[Math.floor(rounds / 2)] ?? NaN)
}

console.log(`Node ${process.version}; µs per call, median of 9 interleaved rounds`)
console.log('| body | bytes | Fastify default (toString + secure-json-parse) | service parser | of which isUtf8 | JSON.parse | member check |')
console.log('|---|---|---|---|---|---|---|')
for (const [name, text] of Object.entries(bodies)) {
  const buffer = Buffer.from(text)
  const calls = text.length > 10_000 ? 5_000 : 200_000
  const f = (n: number) => n.toFixed(2)
  const [fastify = NaN, service = NaN, utf8 = NaN, parse = NaN, check = NaN] = measure(
    [
      () => sjson.parse(buffer.toString('utf8'), { protoAction: 'error', constructorAction: 'error' }),
      () => parseJsonBody(request, buffer),
      () => isUtf8(buffer),
      () => JSON.parse(text),
      () => findMemberFault(text)
    ],
    calls
  )
  console.log(`| ${name} | ${buffer.length} | ${f(fastify)} | ${f(service)} | ${f(utf8)} | ${f(parse)} | ${f(check)} |`)
}
