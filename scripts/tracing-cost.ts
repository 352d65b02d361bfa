// `npx tsx scripts/tracing-cost.ts [--requests N] [--rounds N]`: what tracing costs per request, in
// CPU time of this one process, so that other load on the machine moves the figures less than
// wall-clock throughput. Three apps in live mode with the same instant in-process upstream
// (undici MockAgent), called with app.inject (no sockets): tracing off; on and sampled, exporting in
// batches over OTLP/HTTP protobuf to a loopback sink started here; on with OTEL_TRACES_SAMPLER=always_off
// (trace ids, log ids and traceresponse, nothing recorded). Rounds alternate (A B C C B A …); the
// median per side is printed. Log lines go to a counting sink, as in production they go to a pipe.

import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import { MockAgent } from 'undici'
import { buildApp, type App } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'

const { values: flags } = parseArgs({
  options: { requests: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '6' }, only: { type: 'string' } }
})
const REQUESTS = Number(flags.requests)
const ROUNDS = Number(flags.rounds)

let exportBytes = 0
let exports = 0
const sink = createServer((req, res) => {
  req.on('data', (c: Buffer) => (exportBytes += c.length))
  req.on('end', () => {
    exports++
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
  })
})
sink.listen(0, '127.0.0.1')
await once(sink, 'listening')
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`

const BASE = {
  SECTIGO_LOGIN_NAME: 'bench',
  SECTIGO_LOGIN_PASSWORD: 'bench-password-0123',
  SECTIGO_BASE_URL: 'https://sectigo.bench/products/',
  ALLOW_UNAUTHENTICATED: 'true',
  RATE_LIMIT_MAX: '1000000000',
  LOG_LEVEL: 'info'
}

async function side(name: string, env: Record<string, string>): Promise<{ name: string; app: App; agent: MockAgent }> {
  const agent = new MockAgent()
  agent.disableNetConnect()
  agent.get('https://sectigo.bench').intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).reply(200, 'errorCode=0').persist()
  const logStream = new Writable({ write: (_chunk, _enc, done) => done() })
  const app = await buildApp(loadConfig({ ...BASE, ...env }), { dispatcher: agent, logStream, pressure: { maxEventLoopDelayMs: 60_000 } })
  await app.ready()
  return { name, app, agent }
}

// --only off|sampled|unsampled: one side alone (to profile it with node --cpu-prof).
const SIDES: Array<[string, string, Record<string, string>]> = [
  ['off', 'tracing off', {}],
  ['sampled', 'tracing on, sampled, OTLP export', { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_BSP_SCHEDULE_DELAY: '1000' }],
  ['unsampled', 'tracing on, always_off sampler', { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_TRACES_SAMPLER: 'always_off' }]
]
const sides = await Promise.all(SIDES.filter(([key]) => flags.only === undefined || key === flags.only).map(([, name, env]) => side(name, env)))

async function round(app: App): Promise<number> {
  const before = process.cpuUsage()
  for (let i = 0; i < REQUESTS; i++) {
    const res = await app.inject({ method: 'POST', url: '/orders/1000001/dcv', payload: { method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com' } })
    if (res.statusCode !== 200) throw new Error(`answered ${res.statusCode}: ${res.body}`)
  }
  const used = process.cpuUsage(before)
  return (used.user + used.system) / REQUESTS
}

// Warm-up: JIT and the first batches.
for (const s of sides) await round(s.app)
const samples = new Map<string, number[]>(sides.map((s) => [s.name, []]))
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? sides : [...sides].reverse()
  for (const s of order) samples.get(s.name)?.push(await round(s.app))
}
for (const s of sides) await s.app.close()
sink.close()

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const off = median(samples.get(sides[0]?.name ?? '') ?? [])
console.log(`tracing cost: ${REQUESTS} DCV requests per round, ${ROUNDS} rounds per side, Node ${process.version}`)
for (const s of sides) {
  const m = median(samples.get(s.name) ?? [])
  const all = (samples.get(s.name) ?? []).map((x) => x.toFixed(0)).join(' ')
  console.log(`  ${s.name.padEnd(36)} ${m.toFixed(0).padStart(5)} µs CPU per request (${((m / off - 1) * 100).toFixed(1).padStart(5)} % vs the first)   rounds: ${all}`)
}
console.log(`  exported: ${exports} OTLP requests, ${(exportBytes / 1024).toFixed(0)} KiB`)
