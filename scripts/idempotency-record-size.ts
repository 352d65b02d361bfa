// `node --expose-gc --import tsx scripts/idempotency-record-size.ts`: what one record of the memory
// idempotency store costs on V8's heap beyond the characters `recordBytes` counts, the figure
// behind RECORD_OVERHEAD_BYTES. For each shape (in flight; done with and without the replayed
// headers) and count, records built as the plugin builds them are stored in a fresh store; the heap
// used after a full GC, less the heap used before and less the counted characters, divided by the
// count, is the overhead. Counts just above a power of two catch the Map right after it doubled
// (the most spare capacity). Bodies of several sizes, one-byte and two-byte, show the slope: one
// byte per Latin-1 character, two otherwise. Then the size of the largest answer a replacement can
// give, for ANSWER_ALLOWANCE_BYTES. Last, a check through the service itself: 20,000 keyed calls
// (DCV and replacement, upstream replaced by undici's MockAgent) and the heap's growth against the
// growth of the store's estimate.

import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { MockAgent } from 'undici'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'
import { ANSWER_ALLOWANCE_BYTES, MemoryIdempotencyStore, RECORD_OVERHEAD_BYTES, recordBytes } from '../src/idempotency/memory-store.js'
import type { IdempotencyEntry } from '../src/idempotency/store.js'
import { dcvInstruction } from '../src/sectigo/dcv-instructions.js'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) {
  console.error('run with node --expose-gc --import tsx scripts/idempotency-record-size.ts')
  process.exit(1)
}

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc?.()
  return process.memoryUsage().heapUsed
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

type Shape = 'in-flight' | 'done' | 'done+headers'

/** A body of `length` characters, distinct per record, built in pieces and flattened as a socket write flattens it. */
function body(i: number, length: number, twoByte: boolean): string {
  const head = `{"orderNumber":"${2_000_000 + i}","detail":"`
  const filler = (twoByte ? '€' : 'x').repeat(Math.max(0, length - head.length - 2))
  const text = head + filler + '"}'
  Buffer.byteLength(text)
  return text
}

/**
 * `released`: that many more in-flight records are begun after the measured ones and released, so
 * that the Map grows and is left with the spare capacity it keeps until it shrinks (below a quarter full).
 */
async function measure(shape: Shape, count: number, bodyLength: number, twoByte = false, released = 0): Promise<number> {
  // Real timestamps: like Date.now(), too large for a small integer, so boxed as on the service.
  let clock = Date.now()
  const store = new MemoryIdempotencyStore({ ttlMs: 86_400_000, maxEntries: 10_000_000, maxBytes: Number.MAX_SAFE_INTEGER, now: () => clock })
  const caller = 'billing-app'
  let counted = 0
  const before = heapUsed()
  for (let i = 0; i < count; i++) {
    clock++
    const key = `${caller}:${sha256(`order-${i}`)}`
    const fingerprint = sha256(`POST /orders/${i}/replacement\n{}`)
    const token = randomUUID()
    const inFlight: IdempotencyEntry = { state: 'in-flight', fingerprint, startedAt: clock, token }
    await store.begin(key, inFlight)
    if (shape === 'in-flight') {
      counted += recordBytes(key, inFlight) - RECORD_OVERHEAD_BYTES
      continue
    }
    const headers: { headers?: Record<string, string> } = {}
    if (shape === 'done+headers') {
      const h: Record<string, string> = {}
      h['retry-after'] = String(5 + (i % 50))
      h['location'] = `/orders/${3_000_000 + i}`
      headers.headers = h
    }
    // A distinct content type per record (Fastify's is one shared string): every counted character is on the heap.
    const contentType = `application/json; charset=utf-${i % 10}`
    const done: IdempotencyEntry = {
      state: 'done',
      fingerprint,
      response: { status: 200, contentType, body: body(i, bodyLength, twoByte), ...headers }
    }
    await store.complete(key, token, done)
    counted += recordBytes(key, done) - RECORD_OVERHEAD_BYTES
  }
  const tokens: string[] = []
  for (let i = 0; i < released; i++) {
    const token = randomUUID()
    await store.begin(`${caller}:${sha256(`extra-${i}`)}`, { state: 'in-flight', fingerprint: sha256(`extra ${i}`), startedAt: clock, token })
    tokens.push(token)
  }
  for (let i = 0; i < released; i++) await store.release(`${caller}:${sha256(`extra-${i}`)}`, tokens[i] ?? '')
  tokens.length = 0
  const after = heapUsed()
  if (store.size !== count) throw new Error(`stored ${store.size} of ${count}`)
  const overhead = (after - before - counted) / count
  console.log(
    `${shape.padEnd(12)} ${String(count).padStart(7)} records${released ? ` (+${released} released)` : ''}, body ${String(bodyLength).padStart(5)} ${twoByte ? 'two-byte' : 'one-byte'}: ` +
      `${((after - before) / count).toFixed(0).padStart(6)} B/record on the heap, ${((counted / count) | 0).toString().padStart(6)} counted, overhead ${overhead.toFixed(0)} B`
  )
  await store.close()
  return overhead
}

let worst = 0
for (const count of [16_384, 16_385, 65_537, 131_073]) {
  for (const shape of ['in-flight', 'done', 'done+headers'] as const) worst = Math.max(worst, await measure(shape, count, 600))
}
// The Map at its emptiest before it shrinks: 65,537 records made it double to 131,072 slots; 32,768 stay.
for (const shape of ['in-flight', 'done+headers'] as const) worst = Math.max(worst, await measure(shape, 32_768, 600, false, 32_769))
for (const length of [200, 2_000, 20_000]) {
  worst = Math.max(worst, await measure('done+headers', 8_193, length))
  worst = Math.max(worst, await measure('done+headers', 8_193, length, true))
}
console.log(`largest overhead: ${worst.toFixed(0)} B per record (RECORD_OVERHEAD_BYTES is ${RECORD_OVERHEAD_BYTES})`)

// The largest successful replacement: 250 domains, names filling the 32,767 characters of
// domainNames (with the 249 commas), every domain with a CSR-hash method.
const der = randomBytes(1200)
const names: string[] = []
const total = 32_767 - 249
for (let i = 0; i < 250; i++) {
  const length = Math.floor(total / 250) + (i < total % 250 ? 1 : 0)
  const tail = `.d${i}.example`
  const labels: string[] = []
  let left = length - tail.length
  while (left > 0) {
    const label = Math.min(63, left)
    labels.push('a'.repeat(label))
    left -= label + 1
  }
  names.push(labels.join('.').slice(0, length - tail.length) + tail)
}
for (const method of ['CNAME_CSR_HASH', 'HTTPS_CSR_HASH'] as const) {
  const answer = JSON.stringify({
    orderNumber: '2000001',
    replacementOrderNumber: '3000001',
    certificateStatus: 'Pending Validation',
    productTerm: { start: '2026-11-22T00:00:00Z', end: '2027-11-22T00:00:00Z', durationDays: 365 },
    dcvInstructions: names.map((name) => ({ domainName: name, ...dcvInstruction(name, method, der) }))
  })
  console.log(`largest replacement answer, ${method}: ${answer.length} characters (ANSWER_ALLOWANCE_BYTES is ${ANSWER_ALLOWANCE_BYTES})`)
}

// Through the service: what the store's estimate says against what the heap grew by.
const agent = new MockAgent()
agent.disableNetConnect()
const upstream = agent.get('https://sectigo.test')
upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0').persist()
upstream
  .intercept({ path: '/products/!AutoReplaceMC', method: 'POST' })
  .reply(200, 'errorCode=0&certificateStatus=Pending+Validation&replOrderNumber=3000001')
  .persist()
const config = loadConfig({
  SECTIGO_LOGIN_NAME: 'measure',
  SECTIGO_LOGIN_PASSWORD: 'measure-password',
  SECTIGO_BASE_URL: 'https://sectigo.test/products/',
  ALLOW_UNAUTHENTICATED: 'true',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_MAX: '1000000000',
  IDEMPOTENCY_MAX_BYTES: '1073741824',
  IDEMPOTENCY_MAX_ENTRIES: '1000000'
})
const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
const app = await buildApp(config, { dispatcher: agent, logStream: sink, pressure: { maxEventLoopDelayMs: 60_000 } })
await app.ready()
async function calls(prefix: string, count: number, keyed: boolean): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => {
        const n = i + j
        const dcv = n % 2 === 1
        return app.inject({
          method: 'POST',
          url: `/orders/${1000 + (n % 1000)}/${dcv ? 'dcv' : 'replacement'}`,
          payload: dcv ? { method: 'CNAME_CSR_HASH' } : {},
          headers: keyed ? { 'idempotency-key': `${prefix}-${n}` } : {}
        })
      })
    )
  }
}
// Warm-up: compiled code, caches and metric label sets are in place before the measure.
await calls('warm', 3000, false)
await calls('warm', 3000, true)
const store = app.memoryIdempotencyStore
if (!store) throw new Error('no memory store')
const [heapBefore, bytesBefore, sizeBefore] = [heapUsed(), store.bytes, store.size]
await calls('measured', 20_000, true)
const [heapAfter, bytesAfter, sizeAfter] = [heapUsed(), store.bytes, store.size]
const records = sizeAfter - sizeBefore
console.log(
  `through the service, ${records} records: the heap grew ${((heapAfter - heapBefore) / records).toFixed(0)} B per record, ` +
    `the estimate ${((bytesAfter - bytesBefore) / records).toFixed(0)} B per record`
)
await app.close()
