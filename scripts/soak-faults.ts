// `npm run soak` second part (tsx scripts/soak-faults.ts): the call path's promises under faults,
// with two replicas of the real server (dist/server.js) sharing a Redis of this script's own
// (append-only file on, as the compose stack ships it), against a fake Sectigo on loopback.
//
// Phases, each bounded in count and time:
//   hung:   Sectigo never answers; more keyed replacements than connections + queue, at once.
//   churn:  Sectigo closes every connection after its answer, and resets a share of them before
//           answering; keyed replacements and DCV calls.
//   redis:  keyed replacements to both replicas while Redis is restarted (cleanly) mid-run; each
//           key is sent to one replica until it gets an answer, then repeated on the other.
//
// Every replacement carries its own foreignOrderNumber, so each post the fake receives is tied to
// its key. It prints, and fails (exit 1) unless: posts per replacement key are at most 1 (exactly
// 1 for every key answered 200), no call answered `outcome: unknown` was never written (its
// replica's log line says no byte left), and the sockets open to Sectigo never exceeded the
// replicas' bound. It also counts unknown calls that were written but cut before the fake read
// them: the case the service cannot tell apart from one Sectigo acted on.
//
// Flags: --keys N (keys per phase, 120), --max-seconds S (300).

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Agent, request } from 'undici'
import { closedPort, startFakeSectigo, type FakeSectigo } from '../test/helpers/fake-sectigo.js'
import { startChild, stopAll, type Child } from './lib/processes.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
process.chdir(ROOT)
const { values: flags } = parseArgs({ options: { keys: { type: 'string', default: '120' }, 'max-seconds': { type: 'string', default: '300' } } })
const KEYS = Math.max(10, Math.min(10_000, Number(flags.keys) || 120))
const MAX_SECONDS = Math.max(30, Math.min(3600, Number(flags['max-seconds']) || 300))
const MAX_CONNECTIONS = 4
const MAX_QUEUE = 8
const out = (line = '') => process.stdout.write(`${line}\n`)

interface Answer {
  status: number
  outcome?: string
  replayed: boolean
}

const work = mkdtempSync(join(tmpdir(), 'sectigo-soak-faults-'))
const dispatcher = new Agent({ connections: 256 })

/** A Redis of our own with the compose stack's persistence, restartable on the same port. */
async function startRedis() {
  const port = await closedPort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec']
  let child: ChildProcess | undefined
  const up = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] })
        let text = ''
        probe.stdout.on('data', (c: Buffer) => (text += c.toString()))
        probe.on('exit', () => resolve(text.includes('PONG')))
      })
      if (ok) return
      await sleep(50)
    }
    throw new Error('redis-server did not start')
  }
  const down = async () => {
    if (!child || child.exitCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  await up()
  return { url: `redis://127.0.0.1:${port}`, restart: async () => (await down(), await up()), stop: down }
}

async function replica(name: string, base: string, redisUrl: string, extra: Record<string, string> = {}): Promise<Child> {
  return startChild({
    name,
    args: [join(ROOT, 'dist/server.js')],
    env: {
      PORT: '0',
      LOG_LEVEL: 'info',
      SECTIGO_LOGIN_NAME: 'soak',
      SECTIGO_LOGIN_PASSWORD: 'soak-password-not-logged',
      SECTIGO_BASE_URL: base,
      ALLOW_UNAUTHENTICATED: 'true',
      RATE_LIMIT_MAX: '100000000',
      REDIS_URL: redisUrl,
      SECTIGO_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      SECTIGO_MAX_QUEUE: String(MAX_QUEUE),
      SECTIGO_QUEUE_TIMEOUT_MS: '300',
      SECTIGO_CONNECT_TIMEOUT_MS: '300',
      SECTIGO_TIMEOUT_MS: '600',
      ...extra
    },
    stdoutFile: join(work, `${name}.log`),
    readyPattern: /"msg":"Server listening at (http:\/\/[^"]+)"/
  })
}

async function replace(url: string, key: string): Promise<Answer> {
  const res = await request(`${url}/orders/2000001/replacement`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ foreignOrderNumber: key })
  })
  const text = await res.body.text()
  let outcome: string | undefined
  try {
    outcome = (JSON.parse(text) as { outcome?: string }).outcome
  } catch {
    outcome = undefined
  }
  return { status: res.statusCode, ...(outcome ? { outcome } : {}), replayed: res.headers['idempotent-replayed'] === 'true' }
}

function postsByKey(fake: FakeSectigo): Map<string, number> {
  const counts = new Map<string, number>()
  for (const post of fake.posts) {
    const key = post.fields.get('foreignOrderNumber')
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

interface PhaseResult {
  name: string
  keys: number
  statuses: Record<string, number>
  maxPostsPerKey: number
  keysPostedTwice: number
  finalWithoutOnePost: number
  unknownNeverWritten: number
  unknownUnseen: number
  peakSockets: number
  bound: number
}

/** Per Idempotency-Key, whether the replicas' own log lines say a byte of its call was written. */
function writtenByKey(replicas: string[]): Map<string, boolean> {
  const written = new Map<string, boolean>()
  for (const name of replicas) {
    for (const line of readFileSync(join(work, `${name}.log`), 'utf8').split('\n')) {
      if (!line.includes('"idempotencyKey"')) continue
      const record = JSON.parse(line) as { idempotencyKey?: string; sectigo?: { sent?: boolean } }
      if (!record.idempotencyKey) continue
      written.set(record.idempotencyKey, (written.get(record.idempotencyKey) ?? false) || record.sectigo?.sent === true)
    }
  }
  return written
}

function judge(name: string, fake: FakeSectigo, answers: Map<string, Answer[]>, replicas: string[]): PhaseResult {
  const posts = postsByKey(fake)
  const written = writtenByKey(replicas)
  let unknownUnseen = 0
  const statuses: Record<string, number> = {}
  let unknownNeverWritten = 0
  let finalWithoutOnePost = 0
  for (const [key, list] of answers) {
    for (const a of list) statuses[`${a.status}${a.outcome ? ` ${a.outcome}` : ''}`] = (statuses[`${a.status}${a.outcome ? ` ${a.outcome}` : ''}`] ?? 0) + 1
    const received = posts.get(key) ?? 0
    const unknown = list.some((a) => a.outcome === 'unknown')
    // Unknown is only honest for a call whose first byte left the service.
    if (unknown && written.get(key) !== true) unknownNeverWritten++
    // Written, then the connection was cut before the fake read it: unknown is the truth here too.
    if (unknown && received === 0) unknownUnseen++
    // Sectigo's answer means exactly one post for that key.
    if (list.some((a) => a.status === 200) && received !== 1) finalWithoutOnePost++
  }
  const counts = [...posts.values()]
  return {
    name,
    keys: answers.size,
    statuses,
    maxPostsPerKey: counts.length ? Math.max(...counts) : 0,
    keysPostedTwice: counts.filter((n) => n > 1).length,
    finalWithoutOnePost,
    unknownNeverWritten,
    unknownUnseen,
    peakSockets: fake.peakSockets,
    bound: 2 * MAX_CONNECTIONS
  }
}

async function phaseHung(redisUrl: string): Promise<PhaseResult> {
  const fake = await startFakeSectigo(() => ({ hang: true }))
  const [a, b] = await Promise.all([replica('hung-a', fake.base, redisUrl), replica('hung-b', fake.base, redisUrl)])
  const answers = new Map<string, Answer[]>()
  const urls = [a.ready, b.ready]
  await Promise.all(
    Array.from({ length: KEYS }, async (_, i) => {
      const key = `hung-${i}`
      answers.set(key, [await replace(urls[i % 2] as string, key)])
    })
  )
  await Promise.all([a.stop(), b.stop()])
  await fake.stop()
  return judge('hung upstream, queue saturated', fake, answers, ['hung-a', 'hung-b'])
}

async function phaseChurn(redisUrl: string): Promise<PhaseResult> {
  let n = 0
  // Every answer closes its connection; one post in five waits until a reset (or the timeout).
  const fake = await startFakeSectigo(() => (++n % 5 === 0 ? { hang: true } : { delayMs: 5, close: true, body: 'errorCode=0&replOrderNumber=3000001' }))
  const [a, b] = await Promise.all([replica('churn-a', fake.base, redisUrl), replica('churn-b', fake.base, redisUrl)])
  const answers = new Map<string, Answer[]>()
  const urls = [a.ready, b.ready]
  const resetter = setInterval(() => fake.dropSockets(0.3), 20)
  for (let wave = 0; wave < KEYS; wave += 24) {
    await Promise.all(
      Array.from({ length: Math.min(24, KEYS - wave) }, async (_, j) => {
        const key = `churn-${wave + j}`
        answers.set(key, [await replace(urls[j % 2] as string, key)])
        // The same key again, on the other replica: a replay or a 409, never a second post.
        answers.get(key)?.push(await replace(urls[(j + 1) % 2] as string, key))
      })
    )
  }
  clearInterval(resetter)
  await Promise.all([a.stop(), b.stop()])
  await fake.stop()
  return judge('connection churn', fake, answers, ['churn-a', 'churn-b'])
}

async function phaseRedis(redis: Awaited<ReturnType<typeof startRedis>>): Promise<PhaseResult> {
  const fake = await startFakeSectigo(() => ({ delayMs: 5, body: 'errorCode=0&replOrderNumber=3000001' }))
  const [a, b] = await Promise.all([replica('redis-a', fake.base, redis.url), replica('redis-b', fake.base, redis.url)])
  const answers = new Map<string, Answer[]>()
  const urls = [a.ready, b.ready]
  // Until an answer that is not "the store is unreachable": bounded retries, as a caller would.
  const settle = async (url: string, key: string) => {
    const list: Answer[] = []
    for (let i = 0; i < 100; i++) {
      const answer = await replace(url, key)
      list.push(answer)
      if (answer.status !== 503) break
      await sleep(50)
    }
    return list
  }
  let restarted = false
  await Promise.all(
    Array.from({ length: 8 }, async (_, worker) => {
      for (let i = worker; i < KEYS; i += 8) {
        const key = `redis-${i}`
        if (!restarted && i >= KEYS / 2) {
          restarted = true
          // appendfsync everysec: give the last writes their second before the clean restart.
          await sleep(1100)
          await redis.restart()
        }
        const first = await settle(urls[i % 2] as string, key)
        const second = await settle(urls[(i + 1) % 2] as string, key)
        answers.set(key, [...first, ...second])
      }
    })
  )
  await Promise.all([a.stop(), b.stop()])
  await fake.stop()
  return judge('redis restart during keyed traffic', fake, answers, ['redis-a', 'redis-b'])
}

async function main(): Promise<boolean> {
  const redis = await startRedis()
  try {
    const results = [await phaseHung(redis.url), await phaseChurn(redis.url), await phaseRedis(redis)]
    let ok = true
    out('soak under faults: two replicas, one Redis (appendonly yes), a fake Sectigo')
    out(`bound: SECTIGO_MAX_CONNECTIONS=${MAX_CONNECTIONS} per replica, ${2 * MAX_CONNECTIONS} in all; SECTIGO_MAX_QUEUE=${MAX_QUEUE}`)
    for (const r of results) {
      const pass = r.maxPostsPerKey <= 1 && r.finalWithoutOnePost === 0 && r.unknownNeverWritten === 0 && r.peakSockets <= r.bound
      ok &&= pass
      out()
      out(`${r.name}: ${pass ? 'PASS' : 'FAIL'}`)
      out(`  keys ${r.keys}; answers ${JSON.stringify(r.statuses)}`)
      out(`  posts per replacement key: at most ${r.maxPostsPerKey} (keys posted twice: ${r.keysPostedTwice}; 200 answers without exactly one post: ${r.finalWithoutOnePost})`)
      out(`  unknown outcomes for calls never written: ${r.unknownNeverWritten}`)
      out(`  unknown outcomes written but cut before Sectigo read them (unknown is right): ${r.unknownUnseen}`)
      out(`  sockets to Sectigo at peak: ${r.peakSockets} (bound ${r.bound})`)
    }
    return ok
  } finally {
    await redis.stop()
  }
}

const timer = setTimeout(() => {
  out(`soak-faults: over --max-seconds ${MAX_SECONDS}: stopping`)
  void stopAll().then(() => process.exit(1))
}, MAX_SECONDS * 1000)
try {
  process.exitCode = (await main()) ? 0 : 1
} catch (err) {
  out(`soak-faults: ${(err as Error).stack ?? String(err)}`)
  process.exitCode = 1
} finally {
  clearTimeout(timer)
  await stopAll()
  await dispatcher.close()
  rmSync(work, { recursive: true, force: true })
}
