// The CSR reader against @peculiar/x509 on a large corpus: valid requests of many shapes and
// damaged copies of them (test/fixtures/csr-corpus.ts). Prints how many cases agree and how many
// fall into each named class of disagreement; exits 1 if any falls into none.
// `npx tsx scripts/csr-corpus.ts [--requests 2000] [--damaged 20] [--seed 1] [--show 5]` (--show: how
// many unexplained cases to print)
import { parseArgs } from 'node:util'
import { allNodes, damage, DISAGREEMENTS, explain, makeRequest, parseTree, Prng, serviceReading, x509Reading, type DamageKind } from '../test/fixtures/csr-corpus.js'

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '2000' }, damaged: { type: 'string', default: '20' }, seed: { type: 'string', default: '1' }, show: { type: 'string', default: '5' } }
})
const requests = Number(values.requests)
const perRequest = Number(values.damaged)
const rng = new Prng(Number(values.seed))
const show = Number(values.show)

type Row = Record<string, number>
const valid: Row = {}
const damaged: Record<string, Row> = {}
const unexplained: string[] = []
const accepted: Row = {}
const started = Date.now()
for (let r = 0; r < requests; r++) {
  const request = makeRequest(rng)
  const service = serviceReading(request.der)
  const verdict = explain(request, request.der, service, x509Reading(request.der))
  valid[verdict ?? 'UNEXPLAINED'] = (valid[verdict ?? 'UNEXPLAINED'] ?? 0) + 1
  if ('refused' in service || service.names.join('\n') !== request.names.join('\n')) {
    unexplained.push(`valid request read wrongly (${request.shape}): ${JSON.stringify(service)} expected ${JSON.stringify(request.names)} der ${Buffer.from(request.der).toString('base64')}`)
  } else if (verdict === undefined) {
    unexplained.push(`valid (${request.shape}): service ${JSON.stringify(service)} x509 ${JSON.stringify(x509Reading(request.der))} der ${Buffer.from(request.der).toString('base64')}`)
  }
  for (let d = 0; d < perRequest; d++) {
    const hurt = damage(rng, request.der)
    const s = serviceReading(hurt.der)
    const x = x509Reading(hurt.der)
    const v = explain(request, hurt.der, s, x) ?? 'UNEXPLAINED'
    const row = (damaged[hurt.kind] ??= {})
    row[v] = (row[v] ?? 0) + 1
    if ('names' in s) accepted[hurt.kind] = (accepted[hurt.kind] ?? 0) + 1
    if (v === 'UNEXPLAINED') unexplained.push(`${hurt.kind} (${request.shape}): service ${JSON.stringify(s)} x509 ${JSON.stringify(x)} ${where(request.der, hurt.der)}`)
  }
}

/** Where a same-length damage lies in the undamaged request's tree, for reading an unexplained case. */
function where(original: Uint8Array, der: Uint8Array): string {
  if (original.length !== der.length) return `length ${original.length} -> ${der.length}`
  const nodes = allNodes(parseTree(original))
  const out: string[] = []
  for (let i = 0; i < der.length; i++) {
    if (der[i] === original[i]) continue
    const inner = nodes.filter((n) => n.head <= i && i < n.end).pop()
    const path = nodes.filter((n) => n.head <= i && i < n.end).map((n) => n.tag.toString(16)).join('/')
    const part = inner ? (i < inner.start ? 'header' : 'contents') : 'outside'
    out.push(`@${i} ${original[i]?.toString(16)}->${der[i]?.toString(16)} in ${path} ${part} [${inner ? Buffer.from(original.subarray(inner.head, Math.min(inner.end, inner.head + 24))).toString('hex') : ''}]`)
  }
  return out.join('; ')
}

const columns = ['agree', ...Object.keys(DISAGREEMENTS), 'UNEXPLAINED']
const line = (name: string, row: Row): string => `| ${name} | ${columns.map((c) => (row[c] ?? 0).toLocaleString('en')).join(' | ')} |`
console.log(`seed ${values.seed}: ${requests} valid requests, ${perRequest} damaged copies of each, ${((Date.now() - started) / 1000).toFixed(1)} s`)
console.log(`| requests | ${columns.join(' | ')} |`)
console.log(`|---|${columns.map(() => '---:').join('|')}|`)
console.log(line('valid', valid))
const total: Row = {}
for (const kind of Object.keys(damaged) as DamageKind[]) {
  const row = damaged[kind] ?? {}
  for (const [k, n] of Object.entries(row)) total[k] = (total[k] ?? 0) + n
  console.log(line(`damaged: ${kind}`, row))
}
console.log(line('damaged, all', total))
console.log(`damaged copies the service accepted, by kind: ${JSON.stringify(accepted)}`)
for (const text of unexplained.slice(0, show)) console.log(`\n${text}`)
if (unexplained.length > 0) {
  console.log(`\n${unexplained.length} cases fall into no named class`)
  process.exitCode = 1
}
