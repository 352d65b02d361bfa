// `npm run bench` (tsx scripts/bench.ts): the service against the floor of its architecture.
//
// The floor (scripts/bench/baseline.mjs) is a bare Fastify route per order route that turns the
// same JSON into the same form with URLSearchParams and posts it with undici: no validation, auth,
// logging, metrics or problem layer. The service is the real build (dist/server.js, live mode,
// built first) run as the image runs it: with the Dockerfile's NODE_OPTIONS and MALLOC_ARENA_MAX
// (its heap bounds).
//
// Part 1, throughput: the service at LOG_LEVEL=warn, the service at LOG_LEVEL=info and the floor,
// in front of the same instant upstream (scripts/bench/upstream.mjs, not the simulator), each with
// the same 128 upstream connections, driven by autocannon in alternating rounds (the order of the
// three rotates every round) after a warm-up of each; two cases: a small DCV body and a replacement
// with a real RSA-2048 CSR and a 30,000-character markLogo.
// Part 2, scaling: the upstream answers after 200 ms; at 1, 10, 100 and 1,000 connections, the
// latency the service adds over the floor, its RSS, errors, event-loop delay and GC; at 1,000, the
// same service without the image's heap bounds as well (what the bounds cost in throughput). A
// closed-loop load against a fixed 200 ms delay arrives in synchronised bursts: during each level's
// warm-up the upstream adds a random 0-200 ms to spread the phases, then answers in exactly 200 ms.
// Part 3, instructions: the service (warn, and info for DCV) and the floor each under valgrind's
// callgrind, warmed up, then the instructions of the whole process counted over windows of a fixed
// number of requests: a figure this noisy machine does not move (seconds do).
//
// The servers under test run on core 1 (`taskset -c 1`); this process (the load generator) and the
// upstreams on core 0. The service's log goes to a pipe the bench reads (as a container runtime's
// would), counting lines and looking for the password. Loopback only; bounded in time. Targets are
// printed as PASS/MISS; nothing is asserted.
//
// Flags: --quick (shorter rounds, fewer instructions windows),
//        --part throughput|scaling|instructions, --case dcv|replacement (one part or case only),
//        --rounds N, --seconds N (per throughput round), --connections N (throughput runs, 50),
//        --profile (CPU profiles of the service under each case instead of the bench; with
//        --part scaling, at 100 connections against the 200 ms upstream),
//        --alloc (allocation profiles instead: bytes allocated per request, by function; with
//        --against, of both builds),
//        --node-args="..." (extra flags for the service's node; printed),
//        --dist DIR: the service built in DIR instead of dist/,
//        --against DIR: another build of the service (DIR/server.js, e.g. an earlier commit compiled
//        into test-output/) takes the floor's place in parts 1 and 3 and in --alloc: an A/B of builds,
//        --service-env NAME=VALUE (repeatable): change a setting of the service while working;
//        printed, and the targets then read n/a,
//        --against-env NAME=VALUE (repeatable, with --against): a setting of the other side only
//        (e.g. `--against dist --against-env NODE_OPTIONS=` for what the image's heap bounds cost).

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { makeCsr } from '../test/fixtures/csr.js'
import { callgrindAvailable, startUnderCallgrind } from './lib/callgrind.js'
import { formatHeapProfile, formatSummary, summariseProfile } from './lib/cpuprofile.js'
import {
  busyTicks,
  canPin,
  CLOCK_TICKS_PER_SECOND,
  cpuBusy,
  cpuSnapshot,
  freePort,
  machine,
  ownCpuTicks,
  pinSelf,
  processCpuTicks,
  rssMiB,
  sampleRss,
  startChild,
  stopAll,
  type Child
} from './lib/processes.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
process.chdir(ROOT)

const PARTS = ['throughput', 'scaling', 'instructions'] as const
type Part = (typeof PARTS)[number]

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    alloc: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
    part: { type: 'string' },
    case: { type: 'string' },
    'node-args': { type: 'string' },
    against: { type: 'string' },
    dist: { type: 'string' },
    'service-env': { type: 'string', multiple: true },
    'against-env': { type: 'string', multiple: true }
  }
})
if (flags.part !== undefined && !(PARTS as readonly string[]).includes(flags.part)) {
  process.stderr.write(`--part must be one of ${PARTS.join(', ')}\n`)
  process.exit(2)
}
if (flags.against !== undefined && flags.part === 'scaling') {
  process.stderr.write('--against compares throughput, instructions and allocations, not scaling\n')
  process.exit(2)
}
const runs = (part: Part) => flags.part === undefined || flags.part === part

const PLAN = flags.quick
  ? { rounds: 2, seconds: 3, warmup: 2, levelSeconds: 3, levelWarmup: 1, profileSeconds: 5, windows: 1, deadlineMin: 12 }
  : { rounds: 4, seconds: 6, warmup: 5, levelSeconds: 6, levelWarmup: 2, profileSeconds: 12, windows: 3, deadlineMin: 50 }
if (flags.rounds) PLAN.rounds = positive('rounds', flags.rounds)
if (flags.seconds) PLAN.seconds = positive('seconds', flags.seconds)
const CONNECTIONS = flags.connections ? positive('connections', flags.connections) : 50
const LEVELS = [1, 10, 100, 1000]
const UPSTREAM_DELAY_MS = 200
const LOAD_CPU = 0
const SERVER_CPU = 1
/** Requests before counting (V8 has tiered up its hot code by then) and per counted window, by case. */
const INSTRUCTIONS = {
  warmup: { dcv: 10000, replacement: 3000 },
  window: { dcv: 3000, replacement: 750 },
  connections: 10
}

const TARGETS = {
  /** Service throughput over the floor's, by case and log level, measured in the same rounds. */
  ratio: { dcv: { warn: 0.7, info: 0.6 }, replacement: { warn: 0.55 } } as Record<string, Record<string, number>>,
  addedP99OverFloorMs: 5,
  addedAtConnections: 100,
  idleRssMiB: 90,
  rssMiB: 140,
  rssAtConnections: 1000,
  /** Throughput with the image's heap bounds over throughput without them, at 1,000 slow calls. */
  boundedShare: 0.9
}

function positive(name: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer\n`)
    process.exit(2)
  }
  return n
}

const out = (line = '') => process.stdout.write(`${line}\n`)
const fmt = (n: number, digits = 0) => n.toFixed(digits)
const pad = (s: string | number, width: number) => String(s).padStart(width)
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS')
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

const deadline = setTimeout(
  () => {
    process.stderr.write(`bench: stopped after ${PLAN.deadlineMin} minutes\n`)
    process.exit(1)
  },
  PLAN.deadlineMin * 60_000
)
deadline.unref()

// ---------------------------------------------------------------------------------------------
// Bodies

/** The same bytes on every run: a deterministic 30,000-character base64 logo. */
function markLogo(): string {
  const chunks: Buffer[] = []
  let seed = Buffer.from('sectigo-proxy bench logo')
  for (let size = 0; size < 22_500; size += 32) {
    seed = createHash('sha256').update(seed).digest()
    chunks.push(seed)
  }
  return Buffer.concat(chunks).subarray(0, 22_500).toString('base64')
}

interface Case {
  name: 'dcv' | 'replacement'
  path: string
  body: string
  describe: string
}

async function cases(): Promise<Case[]> {
  const csr = await makeCsr({ commonName: 'brand.example', dnsNames: ['brand.example', 'www.brand.example'], keyAlgorithm: 'RSA-2048' })
  const logo = markLogo()
  const dcv = { method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com' }
  const replacement = { csr: csr.pem, markLogo: logo }
  return [
    { name: 'dcv', path: '/orders/1000001/dcv', body: JSON.stringify(dcv), describe: `POST /orders/1000001/dcv ${JSON.stringify(dcv)}` },
    {
      name: 'replacement',
      path: '/orders/2000001/replacement',
      body: JSON.stringify(replacement),
      describe: `POST /orders/2000001/replacement {csr: RSA-2048 PEM, ${csr.pem.length} chars; markLogo: base64, ${logo.length} chars} (${JSON.stringify(replacement).length} bytes)`
    }
  ]
}

// ---------------------------------------------------------------------------------------------
// Processes

const PASSWORD = `bench-${createHash('sha256').update(String(process.hrtime.bigint())).digest('hex').slice(0, 16)}`

async function startUpstream(delayMs: number): Promise<Child & { url: string }> {
  const child = await startChild({
    name: `upstream (${delayMs} ms)`,
    args: [join(ROOT, 'scripts/bench/upstream.mjs')],
    env: { UPSTREAM_DELAY_MS: String(delayMs) },
    cpu: LOAD_CPU,
    readyPattern: /upstream listening on (\d+)/
  })
  return Object.assign(child, { url: `http://127.0.0.1:${child.ready}/products/` })
}

/** `--service-env NAME=VALUE` (repeatable): a setting of the service changed while working; printed with the others. */
function envPairs(flag: string, pairs: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=')
      if (at < 1) {
        process.stderr.write(`--${flag} takes NAME=VALUE, not ${pair}\n`)
        process.exit(2)
      }
      return [pair.slice(0, at), pair.slice(at + 1)]
    })
  )
}
const SERVICE_ENV = envPairs('service-env', flags['service-env'])
/** `--against-env NAME=VALUE`: settings of the --against side only. */
const AGAINST_ENV = envPairs('against-env', flags['against-env'])

/** The image's runtime settings (its heap bounds: NODE_OPTIONS, MALLOC_ARENA_MAX), as the Dockerfile sets them: the service runs with them. */
const { imageRuntimeEnv, RUNTIME_VARIABLES } = (await import(join(ROOT, 'scripts/container/image-env.mjs'))) as {
  imageRuntimeEnv(dockerfile: string): Record<string, string>
  RUNTIME_VARIABLES: readonly string[]
}
const IMAGE_RUNTIME_ENV = imageRuntimeEnv(join(ROOT, 'Dockerfile'))
/** The same settings without them: Node's and glibc's defaults (the bench passes no other variable). */
const unbounded = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([name]) => !RUNTIME_VARIABLES.includes(name)))

/** Upstream connections for each side of the throughput part. */
const UPSTREAM_CONNECTIONS = 128

/** Every setting the bench gives the service; all other variables keep their defaults. */
function serviceEnv(upstreamUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...IMAGE_RUNTIME_ENV,
    LOG_LEVEL: 'info',
    SECTIGO_LOGIN_NAME: 'bench',
    SECTIGO_LOGIN_PASSWORD: PASSWORD,
    SECTIGO_BASE_URL: upstreamUrl,
    ALLOW_UNAUTHENTICATED: 'true',
    RATE_LIMIT_MAX: '1000000000',
    ...extra,
    ...SERVICE_ENV
  }
}

function printEnv(title: string, env: Record<string, string>): void {
  out(`${title} (only PATH and these variables; every other setting is its default):`)
  if (flags.dist) out(`    the service built in ${flags.dist} (--dist)`)
  if (EXTRA_NODE_ARGS.length > 0) out(`    node flags (--node-args): ${EXTRA_NODE_ARGS.join(' ')}`)
  for (const [k, v] of Object.entries(env)) out(`    ${k}=${k.includes('PASSWORD') ? '(a random bench password)' : v}${IMAGE_RUNTIME_ENV[k] === v ? "   (the Dockerfile's)" : ''}`)
}

interface LogStats {
  bytes: number
  lines: number
  secretSeen: boolean
}

interface Server extends Child {
  url: string
  /** The service's log (its stdout, a pipe read by the bench as a container runtime would). */
  log?: LogStats
}

const EXTRA_NODE_ARGS = (flags['node-args'] ?? '').split(/\s+/).filter((a) => a !== '')

const SERVICE_DIST = flags.dist ?? join(ROOT, 'dist')

/** Watches a service's stdout: lines, bytes, and whether the password ever shows. */
function logWatcher(log: LogStats): (chunk: Buffer) => void {
  let carry = ''
  return (chunk) => {
    log.bytes += chunk.length
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) log.lines++
    // The password could straddle two chunks: keep the end of the previous one.
    const text = carry + chunk.toString('latin1')
    if (text.includes(PASSWORD)) log.secretSeen = true
    carry = text.slice(-PASSWORD.length)
  }
}

async function startService(name: string, env: Record<string, string>, nodeArgs: string[] = [], dist = SERVICE_DIST): Promise<Server> {
  const log: LogStats = { bytes: 0, lines: 0, secretSeen: false }
  // A port of the bench's choosing, and /healthz polled: at LOG_LEVEL=warn no line says it listens.
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = await startChild({
    name,
    args: [...EXTRA_NODE_ARGS, ...nodeArgs, join(dist, 'server.js')],
    env: { ...env, PORT: String(port) },
    cpu: SERVER_CPU,
    onStdout: logWatcher(log),
    readyUrl: `${url}/healthz`
  })
  return Object.assign(child, { url, log })
}

function baselineEnv(upstreamUrl: string, connections: number, port: number): Record<string, string> {
  return {
    BASELINE_UPSTREAM_URL: upstreamUrl,
    BASELINE_LOGIN_NAME: 'bench',
    BASELINE_LOGIN_PASSWORD: PASSWORD,
    BASELINE_CONNECTIONS: String(connections),
    BASELINE_PORT: String(port)
  }
}

async function startBaseline(upstreamUrl: string, connections: number): Promise<Server> {
  const port = await freePort()
  const child = await startChild({
    name: 'floor',
    args: [join(ROOT, 'scripts/bench/baseline.mjs')],
    env: baselineEnv(upstreamUrl, connections, port),
    cpu: SERVER_CPU,
    readyPattern: /baseline listening on (\d+)/
  })
  return Object.assign(child, { url: `http://127.0.0.1:${port}` })
}

// ---------------------------------------------------------------------------------------------
// Load

interface Run {
  requests: number
  seconds: number
  rps: number
  latencies: number[]
  errors: number
  timeouts: number
  non2xx: number
  cpu: number[]
  /** Share of the machine's CPU time used by processes other than the bench's own. */
  foreign: number
  /** Requests still unanswered when the run stopped (abandoned by the load generator). */
  abandoned: number
  /** Connections that waited for a SYN retransmit because the server's listen queue was full. */
  listenOverflows: number
  rss: { peak: number; last: number }
  /** The server process's own CPU time over the run (ticks) and the answers it gave meanwhile. */
  serverTicks: number
  answers: number
  logLines?: number
  secretInLogs?: boolean
}

interface DriveOptions {
  contentType?: string
  /** Seconds of load before measuring, in the same run (the connections stay open). */
  warmupSeconds?: number
  /** Runs when the warm-up ends; only requests sent after it count. */
  beforeMeasuring?: () => Promise<void>
}

async function drive(server: Server, path: string, body: string, connections: number, seconds: number, options: DriveOptions = {}): Promise<Run> {
  const latencies: number[] = []
  let non2xx = 0
  const linesBefore = server.log?.lines ?? 0
  const rss = sampleRss(server.pid)
  const cpuBefore = cpuSnapshot()
  const ownBefore = ownCpuTicks()
  const serverBefore = processCpuTicks(server.pid)
  const warmup = options.warmupSeconds ?? 0
  let measureFrom = warmup > 0 ? Number.POSITIVE_INFINITY : performance.now()
  let responses = 0
  const overflowsBefore = listenOverflows()
  const instance = autocannon({
    url: server.url + path,
    connections,
    duration: seconds + warmup,
    pipelining: 1,
    timeout: 10,
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    body
  })
  const switching =
    warmup > 0
      ? sleep(warmup * 1000).then(async () => {
          await options.beforeMeasuring?.()
          // A request already on its way when the switch happened does not count.
          measureFrom = performance.now() + 50
        })
      : Promise.resolve()
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    responses++
    if (statusCode < 200 || statusCode >= 300) non2xx++
    if (performance.now() - responseTime >= measureFrom) latencies.push(responseTime)
  })
  const result = await instance
  await switching
  const serverTicks = processCpuTicks(server.pid) - serverBefore
  const elapsed = (performance.now() - measureFrom) / 1000
  const cpuAfter = cpuSnapshot()
  const cpu = cpuBusy(cpuBefore, cpuAfter)
  const ticks = busyTicks(cpuBefore, cpuAfter)
  const foreign = Math.max(0, ticks.busy - (ownCpuTicks() - ownBefore)) / Math.max(1, ticks.elapsedPerCore * cpuAfter.length)
  const memory = rss.stop()
  const run: Run = {
    requests: latencies.length,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    latencies: latencies.sort((a, b) => a - b),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx,
    cpu,
    foreign,
    abandoned: Math.max(0, result.requests.sent - responses - result.errors - result.timeouts),
    listenOverflows: listenOverflows() - overflowsBefore,
    rss: memory,
    serverTicks,
    answers: responses
  }
  if (server.log) {
    await sleep(300) // the log is written asynchronously
    run.logLines = server.log.lines - linesBefore
    run.secretInLogs = server.log.secretSeen
  }
  return run
}

/** Exactly `amount` requests, `connections` at a time: the load of the instructions part. */
async function send(url: string, body: string, amount: number, connections: number): Promise<{ non2xx: number; errors: number }> {
  const result = await autocannon({ url, amount, connections, pipelining: 1, timeout: 120, method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { non2xx: result.non2xx, errors: result.errors + result.timeouts }
}

/** The kernel's count of connections dropped because a listen queue was full (all sockets). */
function listenOverflows(): number {
  const [names, values] = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'))
    .map((l) => l.split(/\s+/).slice(1))
  const i = names?.indexOf('ListenOverflows') ?? -1
  return i === -1 ? 0 : Number(values?.[i] ?? 0)
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}

function pool(list: readonly Run[]): Run {
  const latencies = list.flatMap((r) => r.latencies).sort((a, b) => a - b)
  const seconds = list.reduce((a, r) => a + r.seconds, 0)
  const requests = list.reduce((a, r) => a + r.requests, 0)
  return {
    requests,
    seconds,
    rps: requests / seconds,
    latencies,
    errors: list.reduce((a, r) => a + r.errors, 0),
    timeouts: list.reduce((a, r) => a + r.timeouts, 0),
    non2xx: list.reduce((a, r) => a + r.non2xx, 0),
    cpu: list[0]?.cpu.map((_, i) => list.reduce((a, r) => a + (r.cpu[i] ?? 0), 0) / list.length) ?? [],
    foreign: Math.max(...list.map((r) => r.foreign)),
    abandoned: list.reduce((a, r) => a + r.abandoned, 0),
    listenOverflows: list.reduce((a, r) => a + r.listenOverflows, 0),
    rss: { peak: Math.max(...list.map((r) => r.rss.peak)), last: list.at(-1)?.rss.last ?? 0 },
    serverTicks: list.reduce((a, r) => a + r.serverTicks, 0),
    answers: list.reduce((a, r) => a + r.answers, 0),
    logLines: list.reduce((a, r) => a + (r.logLines ?? 0), 0),
    secretInLogs: list.some((r) => r.secretInLogs === true)
  }
}

async function post(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: res.status, json: await res.json() }
}

/** Both sides must send the same form for the same JSON, or the comparison means nothing. */
async function sameForm(service: Server, floor: Server, c: Case): Promise<string> {
  const s = (await post(`${service.url}${c.path}?dryRun=true`, c.body)).json as { fields?: Record<string, string> }
  const b = (await post(`${floor.url}${c.path}?dryRun=true`, c.body)).json as { fields?: Record<string, string> }
  const canon = (fields: Record<string, string> = {}) =>
    JSON.stringify(Object.entries({ ...fields, loginPassword: '[redacted]' }).sort(([x], [y]) => x.localeCompare(y)))
  if (canon(s.fields) === canon(b.fields)) return `yes (${Object.keys(s.fields ?? {}).length} fields)`
  return `NO: service ${canon(s.fields).slice(0, 300)} / floor ${canon(b.fields).slice(0, 300)}`
}

async function checkAnswer(label: string, server: Server, c: Case): Promise<void> {
  const { status, json } = await post(server.url + c.path, c.body)
  if (status !== 200) throw new Error(`${label} answered ${status} to the ${c.name} case: ${JSON.stringify(json)}`)
}

// ---------------------------------------------------------------------------------------------
// Printing

const ms = (x: number) => fmt(x, 2)
/** The server process's CPU time per answer it gave, in µs: steadier than req/s on a noisy machine. */
const cpuPerAnswer = (r: Run) => (r.serverTicks * 1e6) / CLOCK_TICKS_PER_SECOND / Math.max(1, r.answers)
const cpuText = (r: Run) => `${r.cpu.map((c, i) => `cpu${i} ${fmt(c * 100)}%`).join(' ')}${r.foreign > 0.03 ? ` (others ${fmt(r.foreign * 100)}% of the machine!)` : ''}`
const errorsOf = (r: Run) => r.errors + r.timeouts
const errorText = (r: Run) => `${errorsOf(r)} errors, ${r.non2xx} non-2xx`

function printHeader(): void {
  const m = machine()
  out(`sectigo-proxy bench${flags.quick ? ' (--quick)' : ''}, ${new Date().toISOString()}`)
  out(`machine: ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node}`)
  out(
    canPin()
      ? `pinning: servers under test on core ${SERVER_CPU} (taskset -c ${SERVER_CPU}); load generator (this process, autocannon) and upstreams on core ${LOAD_CPU}`
      : 'pinning: NOT AVAILABLE (taskset missing or one core): figures are not comparable with pinned runs'
  )
  out(
    `plan: ${PLAN.rounds} rounds per side per case of ${PLAN.seconds} s after a ${PLAN.warmup} s warm-up per side, ${CONNECTIONS} connections, pipelining 1; ` +
      `scaling ${LEVELS.join('/')} connections, ${PLAN.levelWarmup} s warm-up + ${PLAN.levelSeconds} s each; ` +
      `instructions: ${PLAN.windows} window(s) per side after the warm-up`
  )
  out()
}

// ---------------------------------------------------------------------------------------------
// Part 1: throughput

/** One side of a comparison: a server and how it is named in the output. */
interface Side {
  label: string
  server: Server
  /** The service's log level, or undefined for the floor. */
  level?: string
}

interface SideResult {
  side: Side
  rounds: Run[]
  pooled: Run
}

interface CaseResult {
  c: Case
  sides: SideResult[]
  /** The side the others are divided by: the floor, or the build of --against. */
  reference: SideResult
}

const AGAINST_LEVEL = SERVICE_ENV.LOG_LEVEL ?? 'warn'

async function throughputSides(upstream: Child & { url: string }): Promise<{ sides: Side[]; reference: Side }> {
  // Both sides get the same upstream connections, more than the load has calls in flight: the
  // comparison is of the code, not of how many calls wait for a socket.
  const env = serviceEnv(upstream.url, { SECTIGO_MAX_CONNECTIONS: String(UPSTREAM_CONNECTIONS) })
  printEnv('service (part 1)', env)
  if (flags.against) {
    out(`reference: the service built in ${flags.against}, same settings, LOG_LEVEL=${AGAINST_LEVEL} on both (an A/B of two builds)`)
    if (Object.keys(AGAINST_ENV).length > 0) out(`  except on the reference: ${Object.entries(AGAINST_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}`)
    out()
    const level = { LOG_LEVEL: AGAINST_LEVEL }
    const self = await startService('service', { ...env, ...level })
    const other = await startService('service-against', { ...env, ...level, ...AGAINST_ENV }, [], flags.against)
    const reference = { label: 'against', server: other, level: AGAINST_LEVEL }
    return { sides: [{ label: 'this', server: self, level: AGAINST_LEVEL }, reference], reference }
  }
  out(`floor: same upstream, undici Agent with ${UPSTREAM_CONNECTIONS} connections (as the service's SECTIGO_MAX_CONNECTIONS here), keep-alive, Node's default heap`)
  out()
  // With --service-env LOG_LEVEL=… only that level runs.
  const levels = SERVICE_ENV.LOG_LEVEL ? [SERVICE_ENV.LOG_LEVEL] : ['warn', 'info']
  const sides: Side[] = []
  for (const level of levels) sides.push({ label: `service ${level}`, server: await startService(`service-${level}`, { ...env, LOG_LEVEL: level }), level })
  const reference = { label: 'floor', server: await startBaseline(upstream.url, UPSTREAM_CONNECTIONS) }
  sides.push(reference)
  return { sides, reference }
}

async function throughput(testCases: Case[], upstream: Child & { url: string }): Promise<{ results: CaseResult[]; warmErrors: number }> {
  const { sides, reference } = await throughputSides(upstream)
  out(`idle RSS right after start: ${sides.map((s) => `${s.label} ${fmt(rssMiB(s.server.pid), 1)} MiB`).join('; ')}`)
  const results: CaseResult[] = []
  let warmErrors = 0
  try {
    for (const c of testCases) {
      out(`case ${c.name}: ${c.describe}`)
      const first = sides[0] as Side
      out(`  same form fields sent upstream by ${first.label} and ${reference.label}: ${await sameForm(first.server, reference.server, c)}`)
      for (const side of sides) await checkAnswer(side.label, side.server, c)
      for (const side of sides) {
        const warm = await drive(side.server, c.path, c.body, CONNECTIONS, PLAN.warmup)
        if (side !== reference) warmErrors += errorsOf(warm) + warm.non2xx
      }
      const rounds = new Map<Side, Run[]>(sides.map((s) => [s, []]))
      for (let round = 0; round < PLAN.rounds; round++) {
        // Each side in every position in turn: rotated every round, reversed every other round.
        const rotated = sides.map((_, i) => sides[(i + round) % sides.length] as Side)
        const order = round % 2 === 0 ? rotated : rotated.reverse()
        for (const side of order) {
          const run = await drive(side.server, c.path, c.body, CONNECTIONS, PLAN.seconds)
          rounds.get(side)?.push(run)
          out(
            `  round ${round + 1} ${side.label.padEnd(13)}: ${pad(fmt(run.rps), 6)} req/s  p50 ${pad(ms(quantile(run.latencies, 0.5)), 6)} ms  p99 ${pad(ms(quantile(run.latencies, 0.99)), 6)} ms  ${cpuText(run)}  CPU ${pad(fmt(cpuPerAnswer(run)), 4)} µs/answer  ${errorText(run)}`
          )
        }
      }
      const sideResults = sides.map((side) => ({ side, rounds: rounds.get(side) ?? [], pooled: pool(rounds.get(side) ?? []) }))
      results.push({ c, sides: sideResults, reference: sideResults.find((s) => s.side === reference) as SideResult })
      out()
    }
  } finally {
    for (const side of sides) await side.server.stop(3000)
  }
  return { results, warmErrors }
}

// ---------------------------------------------------------------------------------------------
// Part 2: scaling

interface LevelResult {
  connections: number
  service: Run
  floor: Run
  /** The load generator straight to the upstream: the floor of the measurement itself. */
  direct: Run
  stalls?: string
}

interface Bounds {
  /** Runs of the service as shipped and without the image's heap bounds, alternating, at the top level. */
  shipped: Run[]
  unbounded: Run[]
}

const added = (r: Run, q: number) => quantile(r.latencies, q) - UPSTREAM_DELAY_MS

interface Stalls {
  /** Event-loop delay since the previous read of /metrics (prom-client resets it on each read), ms. */
  lagP99: number
  lagMax: number
  /** Garbage collections by kind since the process started: count and seconds. */
  gc: Map<string, { count: number; seconds: number }>
}

/** What the service's own /metrics says about its event loop and its garbage collector. */
async function stalls(server: Server): Promise<Stalls> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
  const gc = new Map<string, { count: number; seconds: number }>()
  for (const [, what, kind = '', v] of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} (\S+)$/gm)) {
    const entry = gc.get(kind) ?? { count: 0, seconds: 0 }
    if (what === 'count') entry.count = Number(v)
    else entry.seconds = Number(v)
    gc.set(kind, entry)
  }
  // monitorEventLoopDelay samples every 10 ms and reports the whole interval: subtract it.
  return { lagP99: value('nodejs_eventloop_lag_p99_seconds') * 1000 - 10, lagMax: value('nodejs_eventloop_lag_max_seconds') * 1000 - 10, gc }
}

function stallText(before: Stalls, after: Stalls): string {
  const gc = [...after.gc.entries()]
    .map(([kind, a]) => {
      const b = before.gc.get(kind) ?? { count: 0, seconds: 0 }
      return a.count > b.count ? `${kind} ${a.count - b.count}x/${fmt((a.seconds - b.seconds) * 1000)} ms` : ''
    })
    .filter((t) => t !== '')
    .join(', ')
  return `event-loop delay p99 ${fmt(after.lagP99, 1)} ms, max ${fmt(after.lagMax, 1)} ms; GC ${gc || 'none'}`
}

async function scaling(testCase: Case, slow: Child & { url: string }): Promise<{ levels: LevelResult[]; idleRss: number; bounds: Bounds }> {
  const env = serviceEnv(slow.url, { SECTIGO_MAX_CONNECTIONS: '1000', SECTIGO_MAX_QUEUE: '1000' })
  printEnv(`service (part 2, upstream answers after ${UPSTREAM_DELAY_MS} ms)`, env)
  out('floor: same slow upstream, undici Agent with 1000 connections')
  out("direct: the load generator posts the service's exact form straight to the upstream (no proxy): the floor of the measurement")
  out(`unbounded: at ${TARGETS.rssAtConnections} connections, the same service without ${RUNTIME_VARIABLES.join(' and ')} (Node's and glibc's defaults), alternating with the shipped one`)
  out(
    `each level: one run per side; during its first ${PLAN.levelWarmup} s the upstream adds a random 0-${UPSTREAM_DELAY_MS} ms to spread the ` +
      `connections' phases, then answers after exactly ${UPSTREAM_DELAY_MS} ms for the ${PLAN.levelSeconds} s measured`
  )
  out()
  const service = await startService('service-scaling', env)
  const idleRss = rssMiB(service.pid)
  const floor = await startBaseline(slow.url, 1000)
  const origin = new URL(slow.url).origin
  const form = await post(`${service.url}${testCase.path}?dryRun=true`, testCase.body)
  const fields = { ...((form.json as { fields?: Record<string, string> }).fields ?? {}), loginPassword: PASSWORD }
  const endpoint = (form.json as { endpoint?: string }).endpoint ?? '!AutoUpdateDCV'
  const direct: Server = { ...slow, url: origin }
  const jitter = (msText: string) => fetch(`${origin}/__bench/jitter`, { method: 'POST', body: msText }).then((r) => r.text())
  const levels: LevelResult[] = []
  const bounds: Bounds = { shipped: [], unbounded: [] }
  let unboundedService: Server | undefined
  const spread = (onSwitch?: () => Promise<void>): DriveOptions => ({
    warmupSeconds: PLAN.levelWarmup,
    beforeMeasuring: async () => {
      await jitter('0')
      await onSwitch?.()
    }
  })
  const slowRun = async (server: Server, connections: number, onSwitch?: () => Promise<void>) => {
    await jitter(String(UPSTREAM_DELAY_MS))
    return drive(server, testCase.path, testCase.body, connections, PLAN.levelSeconds, spread(onSwitch))
  }
  try {
    for (const connections of LEVELS) {
      let stallsBefore: Stalls | undefined
      const s = await slowRun(service, connections, async () => {
        stallsBefore = await stalls(service)
      })
      const stallsAfter = await stalls(service)
      const b = await slowRun(floor, connections)
      await jitter(String(UPSTREAM_DELAY_MS))
      const d = await drive(direct, `/products/${endpoint}`, new URLSearchParams(fields).toString(), connections, PLAN.levelSeconds, {
        ...spread(),
        contentType: 'application/x-www-form-urlencoded'
      })
      const level: LevelResult = { connections, service: s, floor: b, direct: d, ...(stallsBefore ? { stalls: stallText(stallsBefore, stallsAfter) } : {}) }
      levels.push(level)
      out(
        `  ${pad(connections, 4)} connections: service ${pad(fmt(s.rps), 5)} req/s (${s.requests} answers, CPU ${fmt(cpuPerAnswer(s))} µs/answer), added p50 ${pad(ms(added(s, 0.5)), 6)} ms, p99 ${pad(ms(added(s, 0.99)), 6)} ms, RSS peak ${fmt(s.rss.peak, 1)} MiB, ${errorText(s)}; ` +
          `floor p50 ${ms(added(b, 0.5))} p99 ${ms(added(b, 0.99))} CPU ${fmt(cpuPerAnswer(b))} µs/answer; direct p50 ${ms(added(d, 0.5))} p99 ${ms(added(d, 0.99))}; ${cpuText(s)}; ` +
          `service max ${ms(added(s, 1))} ms, ${s.abandoned} abandoned at the end, ${s.listenOverflows} listen-queue overflows` +
          (level.stalls ? `; service ${level.stalls}` : '')
      )
      if (connections === TARGETS.rssAtConnections) {
        // What the heap bounds cost: the same load without them. The unbounded process is warmed up
        // as the shipped one was by the level above (a first run at 1,000 connections is slower,
        // whichever side it is), then the two alternate: S U U S.
        unboundedService = await startService('service-unbounded', unbounded(env))
        await slowRun(unboundedService, connections)
        for (const server of [service, unboundedService, unboundedService, service]) {
          const run = await slowRun(server, connections)
          ;(server === service ? bounds.shipped : bounds.unbounded).push(run)
          out(
            `  ${pad(connections, 4)} connections, ${server === service ? 'shipped  ' : 'unbounded'}: ${pad(fmt(run.rps), 5)} req/s, added p99 ${ms(added(run, 0.99))} ms, ` +
              `RSS peak ${fmt(run.rss.peak, 1)} MiB, CPU ${fmt(cpuPerAnswer(run))} µs/answer, ${errorText(run)}`
          )
        }
      }
    }
  } finally {
    await jitter('0').catch(() => undefined)
    await service.stop(3000)
    await unboundedService?.stop(3000)
    await floor.stop()
  }
  return { levels, idleRss, bounds }
}

// ---------------------------------------------------------------------------------------------
// Part 3: instructions

interface InstructionsResult {
  c: Case
  /** Instructions per request, one figure per window, by side label. */
  sides: Array<{ label: string; perRequest: number[]; reference: boolean }>
}

async function instructions(testCases: Case[], upstream: Child & { url: string }): Promise<InstructionsResult[]> {
  const dir = join(ROOT, 'test-output/callgrind')
  const env = serviceEnv(upstream.url, { SECTIGO_MAX_CONNECTIONS: String(UPSTREAM_CONNECTIONS) })
  printEnv('service (part 3, under callgrind)', env)
  out(
    `each side: a fresh process under valgrind --tool=callgrind on core ${SERVER_CPU}, uninstrumented for the warm-up (dcv ${INSTRUCTIONS.warmup.dcv}, ` +
      `replacement ${INSTRUCTIONS.warmup.replacement} requests), then every instruction of the process (all threads) counted over ${PLAN.windows} window(s) ` +
      `of dcv ${INSTRUCTIONS.window.dcv} / replacement ${INSTRUCTIONS.window.replacement} requests, ${INSTRUCTIONS.connections} connections`
  )
  out()
  const results: InstructionsResult[] = []
  for (const c of testCases) {
    const plan: Array<{ label: string; reference: boolean; start: (port: number) => Promise<Awaited<ReturnType<typeof startUnderCallgrind>>> }> = []
    const service = (label: string, level: string, dist: string) => ({
      label,
      reference: label === 'against',
      start: (port: number) =>
        startUnderCallgrind({
          name: `${c.name}-${label.replace(/\W+/g, '-')}`,
          args: [...EXTRA_NODE_ARGS, join(dist, 'server.js')],
          // valgrind stalls the event loop for seconds while V8 compiles: the load shedding would
          // answer 503. Its check still runs; only its threshold is raised.
          env: { ...env, LOG_LEVEL: level, PORT: String(port), OVERLOAD_EVENT_LOOP_DELAY_MS: '600000' },
          readyUrl: `http://127.0.0.1:${port}/healthz`,
          dir,
          cpu: SERVER_CPU
        })
    })
    if (flags.against) {
      plan.push(service('this', AGAINST_LEVEL, SERVICE_DIST), service('against', AGAINST_LEVEL, flags.against))
    } else {
      const levels = SERVICE_ENV.LOG_LEVEL ? [SERVICE_ENV.LOG_LEVEL] : c.name === 'dcv' ? ['warn', 'info'] : ['warn']
      for (const level of levels) plan.push(service(`service ${level}`, level, SERVICE_DIST))
      plan.push({
        label: 'floor',
        reference: true,
        start: (port: number) =>
          startUnderCallgrind({
            name: `${c.name}-floor`,
            args: [join(ROOT, 'scripts/bench/baseline.mjs')],
            env: baselineEnv(upstream.url, UPSTREAM_CONNECTIONS, port),
            readyPattern: /baseline listening on (\d+)/,
            dir,
            cpu: SERVER_CPU
          })
      })
    }
    const result: InstructionsResult = { c, sides: [] }
    for (const side of plan) {
      const port = await freePort()
      const url = `http://127.0.0.1:${port}${c.path}`
      const started = performance.now()
      const child = await side.start(port)
      try {
        const warm = await send(url, c.body, INSTRUCTIONS.warmup[c.name], INSTRUCTIONS.connections)
        if (warm.non2xx + warm.errors > 0) throw new Error(`${side.label} answered ${warm.non2xx} non-2xx and ${warm.errors} errors during the warm-up`)
        const perRequest: number[] = []
        for (let w = 0; w < PLAN.windows; w++) {
          const window = INSTRUCTIONS.window[c.name]
          let failed = 0
          const total = await child.count(async () => {
            const r = await send(url, c.body, window, INSTRUCTIONS.connections)
            failed = r.non2xx + r.errors
          })
          if (failed > 0) throw new Error(`${side.label} answered ${failed} requests with an error while counted`)
          perRequest.push(total / window)
        }
        result.sides.push({ label: side.label, perRequest, reference: side.reference })
        out(
          `  ${c.name.padEnd(12)} ${side.label.padEnd(13)} ${pad(fmt(median(perRequest)), 9)} instructions per request (windows: ${perRequest.map((x) => fmt(x)).join(', ')}; ${fmt((performance.now() - started) / 1000)} s)`
        )
      } finally {
        await child.stop(10_000)
      }
    }
    results.push(result)
  }
  out()
  return results
}

// ---------------------------------------------------------------------------------------------
// Profiles

/**
 * CPU profiles of the service (node --cpu-prof) under the throughput load of each case, or, with
 * `--part scaling`, at 100 connections against the 200 ms upstream; each summarised by self time.
 */
async function profile(testCases: Case[], fast: Child & { url: string }, slow: Child & { url: string }): Promise<void> {
  const dir = join(ROOT, 'test-output/profiles')
  mkdirSync(dir, { recursive: true })
  const scalingRun = flags.part === 'scaling'
  const upstream = scalingRun ? slow : fast
  const connections = scalingRun ? TARGETS.addedAtConnections : CONNECTIONS
  const origin = new URL(upstream.url).origin
  const jitter = (msText: string) => fetch(`${origin}/__bench/jitter`, { method: 'POST', body: msText }).then((r) => r.text())
  for (const c of scalingRun ? testCases.slice(0, 1) : testCases) {
    const name = `service-${c.name}${scalingRun ? '-slow' : ''}-${new Date().toISOString().replace(/[:.]/g, '-')}`
    // The profile is written when the process exits: a short grace, because requests the load
    // generator abandons at the end of a run are never settled by the drain (see BENCHMARKS.md).
    const env = serviceEnv(upstream.url, {
      SHUTDOWN_GRACE_MS: '3000',
      ...(scalingRun ? { SECTIGO_MAX_CONNECTIONS: '1000', SECTIGO_MAX_QUEUE: '1000' } : { SECTIGO_MAX_CONNECTIONS: String(UPSTREAM_CONNECTIONS) })
    })
    if (c === testCases[0]) printEnv('service under the profiler', env)
    const service = await startService(name, env, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`])
    let run: Run
    if (scalingRun) {
      await jitter(String(UPSTREAM_DELAY_MS))
      run = await drive(service, c.path, c.body, connections, PLAN.profileSeconds, { warmupSeconds: PLAN.warmup, beforeMeasuring: async () => void (await jitter('0')) })
    } else {
      await drive(service, c.path, c.body, connections, PLAN.warmup)
      run = await drive(service, c.path, c.body, connections, PLAN.profileSeconds)
    }
    await service.stop(30_000)
    const file = join(dir, `${name}.cpuprofile`)
    out(
      `== case ${c.name}${scalingRun ? ` against the ${UPSTREAM_DELAY_MS} ms upstream` : ''}: ${fmt(run.rps)} req/s under the profiler ` +
        `(${connections} connections, ${PLAN.profileSeconds} s after a ${PLAN.warmup} s warm-up; p50 ${ms(quantile(run.latencies, 0.5))} ms, p99 ${ms(quantile(run.latencies, 0.99))} ms)`
    )
    out(`   ${file}`)
    out(formatSummary(summariseProfile(file, 30), 30))
    out()
  }
}

/** Allocation profiles of the service under each case (and of the --against build): bytes allocated per request, by function. */
async function allocations(testCases: Case[], upstream: Child & { url: string }): Promise<void> {
  const dir = join(ROOT, 'test-output/profiles')
  mkdirSync(dir, { recursive: true })
  const builds: Array<[string, string]> = [['this build', SERVICE_DIST], ...(flags.against ? [['against', flags.against] as [string, string]] : [])]
  for (const c of testCases) {
    for (const [label, dist] of builds) {
      const file = join(dir, `service-${c.name}-${label.replace(/\W+/g, '-')}-${new Date().toISOString().replace(/[:.]/g, '-')}.heapprofile`)
      const env = serviceEnv(upstream.url, { ALLOC_PROFILE_PATH: file, SECTIGO_MAX_CONNECTIONS: String(UPSTREAM_CONNECTIONS) })
      if (c === testCases[0] && label === 'this build') printEnv('service under the allocation sampler (ALLOC_PROFILE_PATH is read by the sampler, not the service)', env)
      const service = await startService(`alloc-${c.name}`, env, ['--import', join(ROOT, 'scripts/bench/alloc-sampler.mjs')], dist)
      const step = async (line: string) => {
        const seen = service.tail.filter((l) => l.includes(line)).length
        service.child.kill('SIGWINCH')
        for (const until = Date.now() + 20_000; service.tail.filter((l) => l.includes(line)).length === seen; ) {
          if (Date.now() > until) throw new Error(`the allocation sampler did not report "${line}"`)
          await sleep(20)
        }
      }
      await drive(service, c.path, c.body, CONNECTIONS, PLAN.warmup)
      await step('alloc-sampler: started')
      const run = await drive(service, c.path, c.body, CONNECTIONS, PLAN.seconds)
      await step('alloc-sampler: written')
      await service.stop(3000)
      out(`== case ${c.name}, ${label} (${dist}): ${run.requests} requests sampled (${CONNECTIONS} connections, ${PLAN.seconds} s after a ${PLAN.warmup} s warm-up)`)
      out(`   ${file}`)
      out(formatHeapProfile(file, run.requests))
      out()
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function build(): void {
  out('building: npm run build')
  const result = spawnSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.status !== 0) throw new Error('npm run build failed')
  if (!readdirSync(join(ROOT, 'dist')).includes('server.js')) throw new Error('dist/server.js is missing after the build')
}

/** Share of the machine busy over one second, with nothing of ours running. */
async function backgroundLoad(): Promise<number> {
  const before = cpuSnapshot()
  const own = ownCpuTicks()
  await sleep(1000)
  const after = cpuSnapshot()
  const ticks = busyTicks(before, after)
  return Math.max(0, ticks.busy - (ownCpuTicks() - own)) / Math.max(1, ticks.elapsedPerCore * after.length)
}

/** Waits (at most `maxSeconds`) for other processes to leave the machine idle; says what it found. */
async function waitForQuiet(maxSeconds: number): Promise<void> {
  const waitUntil = Date.now() + maxSeconds * 1000
  let load = await backgroundLoad()
  if (load > 0.05) out(`other processes keep the machine ${fmt(load * 100)}% busy; waiting up to ${maxSeconds} s for it to be idle`)
  while (load > 0.05 && Date.now() < waitUntil) load = await backgroundLoad()
  const avg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  out(`background load before the bench: ${fmt(load * 100)}% of the machine (load average ${avg})${load > 0.05 ? ' - NOT IDLE: figures will be low and noisy' : ''}`)
}

function printThroughput(results: CaseResult[]): void {
  out(`throughput (${CONNECTIONS} connections; pooled over ${PLAN.rounds} rounds per side; latency in ms):`)
  out(`  case          side             req/s    p50     p99    RSS peak  log lines/req  CPU µs/answer  errors`)
  for (const r of results) {
    for (const { side, pooled: run } of r.sides) {
      out(
        `  ${r.c.name.padEnd(12)}  ${side.label.padEnd(13)}  ${pad(fmt(run.rps), 6)}  ${pad(ms(quantile(run.latencies, 0.5)), 6)}  ${pad(ms(quantile(run.latencies, 0.99)), 6)}  ${pad(fmt(run.rss.peak, 1), 7)} MiB  ${pad(side.level ? fmt((run.logLines ?? 0) / run.requests, 2) : '-', 13)}  ${pad(fmt(cpuPerAnswer(run)), 13)}  ${errorText(run)}`
      )
    }
    for (const s of r.sides) {
      if (s === r.reference) continue
      const rounds = s.rounds.map((run, i) => fmt(run.rps / (r.reference.rounds[i]?.rps ?? Number.NaN), 2)).join(' ')
      out(
        `  ${r.c.name.padEnd(12)}  ${s.side.label} / ${r.reference.side.label}: req/s ${fmt(s.pooled.rps / r.reference.pooled.rps, 3)} (per round: ${rounds}); ` +
          `CPU per answer ${r.reference.side.label}/${s.side.label} ${fmt(cpuPerAnswer(r.reference.pooled) / cpuPerAnswer(s.pooled), 3)}`
      )
    }
  }
  out()
}

function printScaling(levels: LevelResult[]): void {
  out(`scaling (upstream ${UPSTREAM_DELAY_MS} ms; added = latency - ${UPSTREAM_DELAY_MS} ms, in ms; service RSS peak during the run):`)
  out('  connections  service req/s  added p50  added p99  RSS peak    errors               | floor p50    p99 | direct p50    p99')
  for (const l of levels) {
    const { service: s, floor: b, direct: d } = l
    out(
      `  ${pad(l.connections, 11)}  ${pad(fmt(s.rps), 13)}  ${pad(ms(added(s, 0.5)), 9)}  ${pad(ms(added(s, 0.99)), 9)}  ${pad(fmt(s.rss.peak, 1), 6)} MiB  ${errorText(s).padEnd(20)} | ${pad(ms(added(b, 0.5)), 9)} ${pad(ms(added(b, 0.99)), 6)} | ${pad(ms(added(d, 0.5)), 10)} ${pad(ms(added(d, 0.99)), 6)}`
    )
  }
  out()
}

function printInstructions(results: InstructionsResult[]): void {
  out('instructions per request (callgrind, median of the windows):')
  for (const r of results) {
    const reference = r.sides.find((s) => s.reference)
    for (const s of r.sides) {
      const ratio = reference && s !== reference ? `; ${reference.label}/${s.label} ${fmt(median(reference.perRequest) / median(s.perRequest), 3)}` : ''
      out(`  ${r.c.name.padEnd(12)}  ${s.label.padEnd(13)}  ${pad(fmt(median(s.perRequest)), 10)}${ratio}`)
    }
  }
  out()
}

async function main(): Promise<void> {
  const begun = performance.now()
  build()
  const testCases = (await cases()).filter((c) => flags.case === undefined || c.name === flags.case)
  if (testCases.length === 0) throw new Error(`no case named ${flags.case}`)
  pinSelf(LOAD_CPU)
  printHeader()
  await waitForQuiet(flags.quick ? 30 : 90)
  const fast = await startUpstream(0)
  const slow = await startUpstream(UPSTREAM_DELAY_MS)
  try {
    if (flags.profile) return await profile(testCases, fast, slow)
    if (flags.alloc) return await allocations(testCases, fast)
    let results: CaseResult[] = []
    let warmErrors = 0
    let scaled: Awaited<ReturnType<typeof scaling>> | undefined
    let counted: InstructionsResult[] = []
    if (runs('throughput')) {
      out('== part 1: throughput against an instant upstream')
      ;({ results, warmErrors } = await throughput(testCases, fast))
    }
    if (runs('scaling') && !flags.against) {
      const scalingCase = testCases[0] as Case
      out(`== part 2: scaling against an upstream that answers after 200 ms (case ${scalingCase.name})`)
      scaled = await scaling(scalingCase, slow)
      out(`  service idle RSS right after start (part 2): ${fmt(scaled.idleRss, 1)} MiB`)
      out()
    }
    if (runs('instructions')) {
      out('== part 3: instructions per request under callgrind')
      if (callgrindAvailable()) counted = await instructions(testCases, fast)
      else out('  SKIPPED: valgrind or callgrind_control is not installed (apt-get install valgrind)')
      out()
    }

    out('== results')
    if (results.length > 0) printThroughput(results)
    if (scaled) printScaling(scaled.levels)
    if (counted.length > 0) printInstructions(counted)

    out('== targets')
    const changed = Object.keys(SERVICE_ENV)
    if (changed.length > 0) out(`  n/a   the service ran with ${changed.join(', ')} changed (--service-env): the verdicts below are not the defaults`)
    for (const r of results) {
      for (const s of r.sides) {
        if (s === r.reference) continue
        const ratio = s.pooled.rps / r.reference.pooled.rps
        const target = s.side.level ? TARGETS.ratio[r.c.name]?.[s.side.level] : undefined
        if (flags.against) out(`  n/a   ${r.c.name}: this build / the build in ${flags.against} = ${fmt(ratio, 3)} req/s (the ratio targets are against the floor)`)
        else if (target === undefined) out(`  info  throughput ${r.c.name}, ${s.side.label} / floor ${fmt(ratio, 3)} (no target at this level)`)
        else out(`  ${verdict(ratio >= target)}  throughput ${r.c.name}, ${s.side.label} / floor ${fmt(ratio, 3)} (target >= ${target})`)
      }
    }
    if (scaled) {
      const at = scaled.levels.find((l) => l.connections === TARGETS.addedAtConnections)
      if (at) {
        const over = quantile(at.service.latencies, 0.99) - quantile(at.floor.latencies, 0.99)
        out(
          `  ${verdict(over <= TARGETS.addedP99OverFloorMs)}  p99 over the floor's at ${TARGETS.addedAtConnections} connections against the ${UPSTREAM_DELAY_MS} ms upstream: ${ms(over)} ms ` +
            `(target <= ${TARGETS.addedP99OverFloorMs} ms; service ${ms(added(at.service, 0.99))} ms over ${UPSTREAM_DELAY_MS} ms, floor ${ms(added(at.floor, 0.99))}, load generator alone ${ms(added(at.direct, 0.99))})`
        )
      }
      out(`  ${verdict(scaled.idleRss <= TARGETS.idleRssMiB)}  idle RSS right after start ${fmt(scaled.idleRss, 1)} MiB (target <= ${TARGETS.idleRssMiB} MiB)`)
      const { shipped, unbounded: loose } = scaled.bounds
      const top = scaled.levels.find((l) => l.connections === TARGETS.rssAtConnections)
      if (top) {
        const peak = Math.max(top.service.rss.peak, ...shipped.map((r) => r.rss.peak))
        out(`  ${verdict(peak <= TARGETS.rssMiB)}  RSS at ${TARGETS.rssAtConnections} concurrent slow calls ${fmt(peak, 1)} MiB (target <= ${TARGETS.rssMiB} MiB; peak over the level's run and ${shipped.length} more)`)
      }
      if (shipped.length > 0 && loose.length > 0) {
        const share = pool(shipped).rps / pool(loose).rps
        out(
          `  ${verdict(share >= TARGETS.boundedShare)}  throughput at ${TARGETS.rssAtConnections} slow calls with the image's heap bounds / without: ${fmt(share, 3)} ` +
            `(target >= ${TARGETS.boundedShare}; unbounded RSS peak ${fmt(Math.max(...loose.map((r) => r.rss.peak)), 1)} MiB)`
        )
      }
    }
    for (const r of counted) {
      const reference = r.sides.find((s) => s.reference)
      for (const s of r.sides) {
        if (!reference || s === reference) continue
        out(`  info  instructions per request ${r.c.name}, ${reference.label}/${s.label}: ${fmt(median(reference.perRequest) / median(s.perRequest), 3)} (${fmt(median(s.perRequest))} against ${fmt(median(reference.perRequest))})`)
      }
    }
    const serviceRuns = [
      ...results.flatMap((r) => r.sides.filter((s) => s.side.level !== undefined && s !== r.reference).flatMap((s) => s.rounds)),
      ...(scaled ? [...scaled.levels.map((l) => l.service), ...scaled.bounds.shipped, ...scaled.bounds.unbounded] : [])
    ]
    const errors = serviceRuns.reduce((a, r) => a + errorsOf(r) + r.non2xx, 0) + warmErrors
    out(`  ${verdict(errors === 0)}  service errors, timeouts and non-2xx answers over every run: ${errors} (target 0)`)
    const busiest = Math.max(0, ...serviceRuns.map((r) => r.foreign), ...results.flatMap((r) => r.reference.rounds.map((b) => b.foreign)))
    if (busiest > 0.03) out(`  WARNING  other processes used up to ${fmt(busiest * 100)}% of the machine during a run: these figures understate both sides`)
    const leaked = serviceRuns.some((r) => r.secretInLogs === true)
    out(`  ${leaked ? 'FAIL' : 'ok  '}  the upstream password appeared in the service's log lines: ${leaked ? 'YES' : 'no'}`)
    out()
    out(`bench finished in ${fmt((performance.now() - begun) / 1000)} s`)
  } finally {
    await fast.stop()
    await slow.stop()
  }
}

try {
  await main()
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exitCode = 1
} finally {
  await stopAll()
  clearTimeout(deadline)
}
