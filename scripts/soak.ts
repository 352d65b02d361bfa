// `npm run soak` (tsx scripts/soak.ts): thousands of calls through the real server against the
// simulator, on loopback, bounded in count and time.
//
// The server (dist/server.js, live mode) and the standalone simulator (dist/simulator/server.js)
// run as child processes. The simulator's slow order waits SIMULATOR_SLOW_MS = 2000 ms and the
// proxy gives up after SECTIGO_TIMEOUT_MS = 1000 ms, so the slow order exercises the timeout path
// (504, outcome unknown) rather than a plain success. A share of the calls go to the fault orders,
// both routes are used, some calls carry an Idempotency-Key and some of those are repeated at once
// with the same key (the repeat must be the stored answer, byte for byte).
//
// Every call has a known expected status, taken from the simulator's documented book. The run
// fails (exit 1) on any unexpected status, any unanswered call, a replay that differs, RSS growth
// of 10 % or more after the warm-up, a log line holding the password, an audit line missing, or
// a shutdown that does not exit 0. RSS is read right after a full GC in the server (a preload,
// scripts/soak/gc-on-signal.mjs, adds that on SIGWINCH): V8 collects its old generation only every
// ~15,000 calls here, so an RSS read at any other moment measures garbage, not growth.
//
// Flags: --requests N (5000), --concurrency C (32), --fault-share F (0.15), --keyed-share F (0.3),
//        --warmup N (1000), --seed N, --max-seconds S (600).
//
// Each key is new, and the memory idempotency store keeps every answered one for
// IDEMPOTENCY_TTL_SECONDS (24 h): about 1.7 KB each, so RSS grows by design with the number of
// keyed calls (≈ 2 % for the default run; --keyed-share 0 shows the growth without them).

import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Agent, request } from 'undici'
import { makeCsr } from '../test/fixtures/csr.js'
import { machine, rssMiB, startChild, stopAll, type Child } from './lib/processes.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
process.chdir(ROOT)

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    'fault-share': { type: 'string', default: '0.15' },
    'keyed-share': { type: 'string', default: '0.3' },
    warmup: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '20261123' },
    'max-seconds': { type: 'string', default: '600' }
  }
})

function numberFlag(name: string, value: string, min: number, max: number, integer = true): number {
  const n = Number(value)
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    process.stderr.write(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}\n`)
    process.exit(2)
  }
  return n
}

const REQUESTS = numberFlag('requests', flags.requests, 1, 1_000_000)
const CONCURRENCY = numberFlag('concurrency', flags.concurrency, 1, 1000)
const FAULT_SHARE = numberFlag('fault-share', flags['fault-share'], 0, 1, false)
/** Share of calls that carry an Idempotency-Key (each its own), and of those, the share repeated at once. */
const KEYED_SHARE = numberFlag('keyed-share', flags['keyed-share'], 0, 1, false)
const WARMUP = numberFlag('warmup', flags.warmup, 0, 1_000_000)
const SEED = numberFlag('seed', flags.seed, 0, 2 ** 31 - 1)
const MAX_SECONDS = numberFlag('max-seconds', flags['max-seconds'], 10, 3600)

const SLOW_MS = 2000
const TIMEOUT_MS = 1000
const REPEAT_SHARE = 0.35
/** A call unanswered after this long counts as unanswered. */
const CALL_TIMEOUT_MS = 15_000
const RSS_GROWTH_LIMIT = 0.1

const out = (line = '') => process.stdout.write(`${line}\n`)

// ---------------------------------------------------------------------------------------------
// The calls and what each must answer (from the simulator's seeded book, src/simulator/seed-orders.ts)

interface Call {
  name: string
  path: string
  body: unknown
  status: number
  /** Whether the answer is kept for an Idempotency-Key (the upstream call was attempted). */
  stored: boolean
}

async function calls(): Promise<{ normal: Call[]; faults: Call[] }> {
  const csr = await makeCsr({ commonName: 'brand.example', dnsNames: ['brand.example', 'www.brand.example'] })
  const cname = 'CNAME_CSR_HASH'
  const normal: Call[] = [
    { name: 'dcv 1000001', path: '/orders/1000001/dcv', body: { method: cname }, status: 200, stored: true },
    { name: 'dcv base 5000001', path: '/base-orders/5000001/dcv', body: { method: cname }, status: 200, stored: true },
    {
      name: 'dcv 1000002 domains',
      path: '/orders/1000002/dcv',
      body: { domains: [{ domainName: 'shop.example.com', method: cname }] },
      status: 200,
      stored: true
    },
    { name: 'dcv 1000003 issued', path: '/orders/1000003/dcv', body: { method: cname }, status: 422, stored: true },
    { name: 'dcv 1000004 validated', path: '/orders/1000004/dcv', body: { method: cname, domainName: 'example.net' }, status: 409, stored: true },
    { name: 'dcv 1000005 on hold', path: '/orders/1000005/dcv', body: { method: cname }, status: 409, stored: true },
    { name: 'dcv 1000006 voucher', path: '/orders/1000006/dcv', body: { method: cname }, status: 403, stored: true },
    {
      name: 'dcv wildcard http (pre-flight)',
      path: '/orders/1000002/dcv',
      body: { method: 'HTTP_CSR_HASH', domainName: '*.example.org' },
      status: 422,
      stored: false
    },
    { name: 'dcv invalid body', path: '/orders/1000001/dcv', body: { method: 'NOPE' }, status: 400, stored: false },
    { name: 'dcv dry run', path: '/orders/1000001/dcv?dryRun=true', body: { method: cname }, status: 200, stored: false },
    { name: 'replacement 2000001 empty', path: '/orders/2000001/replacement', body: {}, status: 200, stored: true },
    {
      name: 'replacement 2000001 csr',
      path: '/orders/2000001/replacement',
      body: {
        domains: [
          { domainName: 'brand.example', method: cname },
          { domainName: 'www.brand.example', method: cname }
        ],
        csr: csr.pem,
        markLogo: 'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4='
      },
      status: 200,
      stored: true
    },
    {
      name: 'replacement 2000002 cmc',
      path: '/orders/2000002/replacement',
      body: { domains: [{ domainName: 'mark.example' }], logoPriorUseDomainName: 'mark.example' },
      status: 200,
      stored: true
    },
    { name: 'replacement 2000003 expired', path: '/orders/2000003/replacement', body: {}, status: 409, stored: true },
    { name: 'replacement 2000004 no price', path: '/orders/2000004/replacement', body: {}, status: 422, stored: true },
    { name: 'replacement 2000005 voucher', path: '/orders/2000005/replacement', body: {}, status: 403, stored: true },
    { name: 'replacement 2000006 denied', path: '/orders/2000006/replacement', body: {}, status: 403, stored: true },
    { name: 'replacement 1000001 ssl', path: '/orders/1000001/replacement', body: {}, status: 422, stored: true }
  ]
  const faultStatus: Array<[string, number, string]> = [
    ['9000001', 504, 'slow, past SECTIGO_TIMEOUT_MS'],
    ['9000002', 502, 'HTTP 500'],
    ['9000003', 502, 'unparsable'],
    ['9000004', 502, '-1'],
    ['9000005', 502, '-14'],
    ['9000006', 503, '-42'],
    ['9000007', 502, '-160']
  ]
  const faults = faultStatus.flatMap(([order, status, what]) => [
    { name: `dcv ${order} ${what}`, path: `/orders/${order}/dcv`, body: { method: cname }, status, stored: true },
    { name: `replacement ${order} ${what}`, path: `/orders/${order}/replacement`, body: {}, status, stored: true }
  ])
  return { normal, faults }
}

// ---------------------------------------------------------------------------------------------
// Counting

class Tally {
  sent = 0
  answered = 0
  unanswered = 0
  unexpected = 0
  byStatus = new Map<number, number>()
  unexpectedSamples: string[] = []
  unansweredSamples: string[] = []
  repeats = 0
  replayed = 0
  replayMismatches = 0
  replaySamples: string[] = []
  faults = 0
  keyed = 0
  /** RSS (MiB) every 1000 calls. */
  rss: number[] = []

  status(call: Call, status: number, body: string): void {
    this.answered++
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1)
    if (status !== call.status) {
      this.unexpected++
      if (this.unexpectedSamples.length < 10) this.unexpectedSamples.push(`${call.name}: ${status} (expected ${call.status}) ${body.slice(0, 200)}`)
    }
  }
}

/** A small seeded generator, so that a run can be repeated exactly. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// ---------------------------------------------------------------------------------------------
// Main

const work = mkdtempSync(join(tmpdir(), 'sectigo-soak-'))
const password = `soak-${randomBytes(12).toString('hex')}`

async function main(): Promise<boolean> {
  const begun = performance.now()
  const deadline = Date.now() + MAX_SECONDS * 1000
  out('building: npm run build')
  if (spawnSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'inherit', 'inherit'] }).status !== 0) throw new Error('build failed')

  const m = machine()
  out(`sectigo-proxy soak, ${new Date().toISOString()}`)
  out(`machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}`)
  out(
    `plan: ${WARMUP} warm-up calls, then ${REQUESTS} calls at concurrency ${CONCURRENCY}; ${Math.round(FAULT_SHARE * 100)} % to fault orders; ` +
      `${Math.round(KEYED_SHARE * 100)} % with an Idempotency-Key, ${Math.round(REPEAT_SHARE * 100)} % of those repeated at once; seed ${SEED}; at most ${MAX_SECONDS} s`
  )

  const simulatorEnv = {
    SIMULATOR_PORT: '0',
    SIMULATOR_HOST: '127.0.0.1',
    SIMULATOR_LOGIN_NAME: 'soak',
    SIMULATOR_LOGIN_PASSWORD: password,
    SIMULATOR_SLOW_MS: String(SLOW_MS),
    LOG_LEVEL: 'info'
  }
  const simulator = await startChild({
    name: 'simulator',
    args: [join(ROOT, 'dist/simulator/server.js')],
    env: simulatorEnv,
    stdoutFile: join(work, 'simulator.log'),
    readyPattern: /"msg":"Server listening at (http:\/\/[^"]+)"/
  })
  const serviceEnv = {
    PORT: '0',
    LOG_LEVEL: 'info',
    SECTIGO_LOGIN_NAME: 'soak',
    SECTIGO_LOGIN_PASSWORD: password,
    SECTIGO_BASE_URL: `${simulator.ready}/products/`,
    SECTIGO_TIMEOUT_MS: String(TIMEOUT_MS),
    SECTIGO_CONNECT_TIMEOUT_MS: String(TIMEOUT_MS),
    ALLOW_UNAUTHENTICATED: 'true',
    RATE_LIMIT_MAX: '1000000000'
  }
  out('simulator (only PATH and these variables):')
  for (const [k, v] of Object.entries(simulatorEnv)) out(`    ${k}=${k.includes('PASSWORD') ? '(random)' : v}`)
  out('service (only PATH and these variables; every other setting is its default):')
  for (const [k, v] of Object.entries(serviceEnv)) out(`    ${k}=${k.includes('PASSWORD') ? '(the same random password)' : v}`)

  const logFile = join(work, 'service.log')
  let service: Child | undefined
  try {
    service = await startChild({
      name: 'service',
      // The preload adds one thing: a full GC on SIGWINCH, so RSS is compared after a collection.
      args: ['--expose-gc', '--import', join(ROOT, 'scripts/soak/gc-on-signal.mjs'), join(ROOT, 'dist/server.js')],
      env: serviceEnv,
      stdoutFile: logFile,
      readyPattern: /"msg":"Server listening at (http:\/\/[^"]+)"/
    })
    const base = service.ready
    const { normal, faults } = await calls()
    const dispatcher = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 })
    const next = random(SEED)
    let reset = 0

    const resetBook = async () => {
      const res = await request(`${simulator.ready}/__simulator/reset`, { method: 'POST', dispatcher })
      await res.body.dump()
      if (res.statusCode !== 204) throw new Error(`simulator reset answered ${res.statusCode}`)
      reset++
    }

    /** RSS right after a full collection in the server (see scripts/soak/gc-on-signal.mjs). */
    const rssAfterGc = async (child: Child): Promise<number> => {
      const before = child.tail.filter((l) => l.includes('soak-gc: done')).length
      child.child.kill('SIGWINCH')
      const until = Date.now() + 10_000
      while (child.tail.filter((l) => l.includes('soak-gc: done')).length === before) {
        if (Date.now() > until) throw new Error('the server did not report its garbage collection')
        await new Promise((r) => setTimeout(r, 20))
      }
      await new Promise((r) => setTimeout(r, 200))
      return rssMiB(child.pid)
    }

    async function send(call: Call, key: string | undefined, requestId: string): Promise<{ status: number; body: string; replayed: boolean } | string> {
      try {
        const res = await request(base + call.path, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify(call.body),
          headersTimeout: CALL_TIMEOUT_MS,
          bodyTimeout: CALL_TIMEOUT_MS
        })
        return { status: res.statusCode, body: await res.body.text(), replayed: res.headers['idempotent-replayed'] === 'true' }
      } catch (err) {
        return `${call.name}: ${(err as Error).message}`
      }
    }

    async function run(label: string, count: number, tally: Tally): Promise<void> {
      let issued = 0
      const worker = async () => {
        while (issued < count && Date.now() < deadline) {
          const n = issued++
          if (n > 0 && n % 2000 === 0) await resetBook()
          if (n % 1000 === 0 && service) tally.rss.push(rssMiB(service.pid))
          const fault = next() < FAULT_SHARE
          const pool = fault ? faults : normal
          const call = pool[Math.floor(next() * pool.length)] as Call
          const key = next() < KEYED_SHARE ? `soak-${SEED}-${label}-${n}` : undefined
          const repeat = key !== undefined && next() < REPEAT_SHARE
          if (fault) tally.faults++
          if (key) tally.keyed++
          tally.sent++
          const first = await send(call, key, `soak-${label}-${n}`)
          if (typeof first === 'string') {
            tally.unanswered++
            if (tally.unansweredSamples.length < 10) tally.unansweredSamples.push(first)
            continue
          }
          tally.status(call, first.status, first.body)
          if (!repeat) continue
          tally.repeats++
          tally.sent++
          const again = await send(call, key, `soak-${label}-${n}-repeat`)
          if (typeof again === 'string') {
            tally.unanswered++
            if (tally.unansweredSamples.length < 10) tally.unansweredSamples.push(again)
            continue
          }
          tally.status(call, again.status, again.body)
          // A stored answer comes back byte for byte, marked; one refused before any call is redone.
          const ok = call.stored ? again.replayed && again.body === first.body && again.status === first.status : !again.replayed
          if (again.replayed) tally.replayed++
          if (!ok) {
            tally.replayMismatches++
            if (tally.replaySamples.length < 5) tally.replaySamples.push(`${call.name}: first ${first.status}, repeat ${again.status} replayed=${again.replayed}`)
          }
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    }

    await resetBook()
    const warm = new Tally()
    const startedWarm = performance.now()
    await run('warm-up', WARMUP, warm)
    const rawStart = rssMiB(service.pid)
    const rssStart = await rssAfterGc(service)
    out()
    out(`warm-up: ${warm.answered} answers in ${((performance.now() - startedWarm) / 1000).toFixed(1)} s, ${warm.unexpected} unexpected, ${warm.unanswered} unanswered`)

    const tally = new Tally()
    const started = performance.now()
    await run('main', REQUESTS, tally)
    const seconds = (performance.now() - started) / 1000
    const rawEnd = rssMiB(service.pid)
    const rssEnd = await rssAfterGc(service)
    const timedOut = tally.sent < REQUESTS

    // pino writes asynchronously: give the last lines a moment before reading the log.
    await new Promise((r) => setTimeout(r, 500))
    const log = readFileSync(logFile, 'utf8')
    const auditLines = log.split('\n').filter((l) => l.includes('"audit":true') && l.includes('"requestId":"soak-main-')).length
    const secretInLogs = log.includes(password) || log.includes(encodeURIComponent(password))
    const ready = await request(`${base}/readyz`, { dispatcher }).then(async (r) => (await r.body.dump(), r.statusCode))
    await dispatcher.close()

    const stopping = performance.now()
    const exit = await service.stop(TIMEOUT_MS + 10_000)
    const stopMs = performance.now() - stopping
    service = undefined

    const growth = (rssEnd - rssStart) / rssStart
    const statuses = [...tally.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ')
    const checks: Array<[boolean, string]> = [
      [!timedOut, `all ${REQUESTS} calls sent within ${MAX_SECONDS} s (${tally.sent - tally.repeats} sent)`],
      [tally.unexpected === 0, `unexpected statuses: ${tally.unexpected}`],
      [tally.unanswered === 0, `unanswered: ${tally.unanswered}`],
      [tally.replayMismatches === 0, `repeats with the same Idempotency-Key that were not the stored answer (or were, when nothing was stored): ${tally.replayMismatches}`],
      [
        growth < RSS_GROWTH_LIMIT,
        `RSS after a full GC: ${rssStart.toFixed(1)} MiB after the warm-up, ${rssEnd.toFixed(1)} MiB at the end: growth ${(growth * 100).toFixed(1)} % (limit ${RSS_GROWTH_LIMIT * 100} %)`
      ],
      [auditLines === tally.answered, `audit lines: ${auditLines} for ${tally.answered} answered calls`],
      [!secretInLogs, `the password in the service's log: ${secretInLogs ? 'YES' : 'no'}`],
      [ready === 200, `/readyz after the run: ${ready}`],
      [exit === 0, `SIGTERM: exit ${exit} after ${Math.round(stopMs)} ms`]
    ]

    out()
    out('== results')
    out(`requests sent: ${tally.sent} (${tally.sent - tally.repeats} calls + ${tally.repeats} immediate repeats with the same Idempotency-Key) in ${seconds.toFixed(1)} s, ${(tally.answered / seconds).toFixed(0)} answers/s`)
    out(`  to fault orders: ${tally.faults}; with an Idempotency-Key: ${tally.keyed}; repeats answered as replays: ${tally.replayed}; simulator resets: ${reset}`)
    out(`answered: ${tally.answered}`)
    out(`by status: ${statuses}`)
    out(`unexpected statuses: ${tally.unexpected}`)
    for (const s of tally.unexpectedSamples) out(`  ${s}`)
    out(`unanswered: ${tally.unanswered}`)
    for (const s of tally.unansweredSamples) out(`  ${s}`)
    for (const s of tally.replaySamples) out(`  replay: ${s}`)
    out(
      `RSS after a full GC: ${rssStart.toFixed(1)} MiB after the warm-up, ${rssEnd.toFixed(1)} MiB at the end (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %); ` +
        `before those collections: ${rawStart.toFixed(1)} and ${rawEnd.toFixed(1)} MiB`
    )
    out(`  RSS every 1000 calls (no forced GC): ${[...warm.rss, ...tally.rss].map((r) => r.toFixed(0)).join(' ')} MiB (warm-up first)`)
    out()
    out('== checks')
    for (const [ok, text] of checks) out(`  ${ok ? 'ok  ' : 'FAIL'}  ${text}`)
    const passed = checks.every(([ok]) => ok)
    out()
    out(`soak ${passed ? 'passed' : 'FAILED'} in ${((performance.now() - begun) / 1000).toFixed(0)} s`)
    return passed
  } finally {
    await service?.stop(3000)
    await simulator.stop(3000)
    rmSync(work, { recursive: true, force: true })
  }
}

const timer = setTimeout(() => {
  process.stderr.write(`soak: stopped after ${MAX_SECONDS + 120} s\n`)
  process.exit(1)
}, (MAX_SECONDS + 120) * 1000)
timer.unref()

try {
  process.exitCode = (await main()) ? 0 : 1
} catch (err) {
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exitCode = 1
} finally {
  await stopAll()
}
