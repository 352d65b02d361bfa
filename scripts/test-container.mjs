#!/usr/bin/env node
// `npm run test:container`: builds the real Dockerfile with podman and runs the image.
//
//  1. Podman, buildah and runc from Debian when missing (root only; otherwise, and only when no
//     runtime can be had, it says SKIP loudly and exits 0).
//  2. The Dockerfile's base images: pulled when a registry answers, else stand-ins made once and
//     cached (scripts/container/stand-in-images.mjs).
//  3. `podman build --format docker` (the OCI format drops HEALTHCHECK) of the unchanged
//     Dockerfile, with the bases as the build arguments NODE_BUILD_IMAGE / NODE_RUNTIME_IMAGE.
//  4. The image's configuration and files: numeric non-root USER, HEALTHCHECK, node as PID 1, no
//     dev dependency, test, source, .git or secret.
//  5. The image run in sandbox mode with a read-only root, no capability, as its USER: the API
//     answers, the HEALTHCHECK passes, `podman stop` drains a call in flight and exits 0.
//  6. docker-compose.yml with podman-compose, and the checks of the compose files that a running
//     stack cannot make (the Sectigo override, the configuration table, grace periods).
//
// Options:
//   --ca-bundle PATH   a PEM bundle for npm inside the build (its `cafile`), for a machine whose
//                      HTTPS egress is inspected; mounted for the RUN steps only, never in the image
//   --no-compose       skip step 6
//   --keep             keep the built image (localhost/sectigo-proxy:test) and the temporary folder
//   --debian-mirror URL  for the stand-in's debootstrap (default http://deb.debian.org/debian)
// Prints PASS/FAIL/SKIP per check, the image size and the startup time; exits 1 on any FAIL.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { composeFileChecks } from './container/compose-checks.mjs'
import { composeStack } from './container/compose-stack.mjs'
import { imageRuntimeEnv } from './container/image-env.mjs'
import { imageContentProblems, leftoverBuildFiles } from './container/image-contents.mjs'
import { ensureRuntime, podman, ULIMITS } from './container/podman.mjs'
import { clearTimeout, setTimeout } from 'node:timers'
import { freePort, httpCall, run, tail, waitFor } from './container/processes.mjs'
import * as report from './container/report.mjs'
import { dockerfileArg, ensureStandIns } from './container/stand-in-images.mjs'

const { counts, expect, fail, info, mib, pass, seconds, skip } = report
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// A first run makes the stand-in bases (about 2 minutes) and fills the npm cache of the build.
const OVERALL_TIMEOUT_MS = 20 * 60_000
// The simulator's slow order answers after this long: time for podman stop to deliver SIGTERM.
const SLOW_MS = 6000
const STOP_TIMEOUT_S = 30

function options(argv) {
  const value = (name) => {
    const i = argv.indexOf(name)
    if (i < 0) return undefined
    if (argv[i + 1] === undefined) throw new Error(`${name} needs a value`)
    return argv[i + 1]
  }
  const known = new Set(['--ca-bundle', '--no-compose', '--keep', '--debian-mirror'])
  for (const arg of argv) if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg}`)
  return {
    caBundle: value('--ca-bundle'),
    compose: !argv.includes('--no-compose'),
    keep: argv.includes('--keep'),
    mirror: value('--debian-mirror') ?? 'http://deb.debian.org/debian'
  }
}

async function main() {
  const started = Date.now()
  const opts = options(process.argv.slice(2))
  const tmp = mkdtempSync(join(tmpdir(), 'sectigo-proxy-container-'))
  const tag = opts.keep ? 'localhost/sectigo-proxy:test' : `localhost/sectigo-proxy:test-${process.pid}`
  const name = `sectigo-proxy-test-${process.pid}`
  let built = false
  const cleanup = async () => {
    await podman(['rm', '-f', '-t', '0', name], { timeoutMs: 30_000 })
    if (built && !opts.keep) await podman(['rmi', tag], { timeoutMs: 30_000 })
    if (opts.keep) console.log(`kept ${tag} and ${tmp}`)
    else rmSync(tmp, { recursive: true, force: true })
  }
  const overall = setTimeout(async () => {
    fail('overall time limit', `${OVERALL_TIMEOUT_MS / 60_000} minutes passed`)
    await cleanup()
    process.exit(1)
  }, OVERALL_TIMEOUT_MS)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      console.log(`interrupted (${signal})`)
      await cleanup()
      process.exit(130)
    })
  }

  try {
    console.log(`test:container: the Dockerfile of ${REPO}, built and run with podman`)
    const runtime = await ensureRuntime(info)
    if (!runtime.ok) {
      console.log('')
      console.log('SKIP  ################################################################')
      console.log('SKIP  NO CONTAINER RUNTIME: the image was NOT built and NOT tested.')
      console.log(`SKIP  ${runtime.why}`)
      console.log('SKIP  ################################################################')
      skip('container runtime', runtime.why)
      return
    }
    pass('container runtime', runtime.version)

    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'))
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8')
    const bases = await baseImages(dockerfile, tmp, opts)
    if (!bases) return

    // ---- Build
    const buildArgs = ['--build-arg', `NODE_BUILD_IMAGE=${bases.build}`, '--build-arg', `NODE_RUNTIME_IMAGE=${bases.runtime}`]
    const revision = await run('git', ['rev-parse', 'HEAD'], { cwd: REPO, timeoutMs: 10_000 })
    if (revision.code === 0) buildArgs.push('--build-arg', `REVISION=${revision.stdout.trim()}`)
    const volumes = []
    if (opts.caBundle) {
      if (!existsSync(opts.caBundle)) throw new Error(`--ca-bundle ${opts.caBundle}: no such file`)
      // npm's cafile, for the RUN steps only: -v mounts never become part of a layer.
      const caDir = join(tmp, 'build-ca')
      mkdirSync(caDir)
      copyFileSync(opts.caBundle, join(caDir, 'ca.pem'))
      writeFileSync(join(tmp, 'npmrc'), 'cafile=/run/build-ca/ca.pem\n')
      volumes.push('-v', `${caDir}:/run/build-ca:ro`, '-v', `${join(tmp, 'npmrc')}:/root/.npmrc:ro`)
      info(`npm inside the build trusts ${opts.caBundle} (--ca-bundle)`)
    }
    const buildStart = Date.now()
    const build = await podman(['build', '--format', 'docker', '--network', 'host', ...buildArgs, ...volumes, '-t', tag, '-f', 'Dockerfile', '.'], {
      cwd: REPO,
      timeoutMs: 10 * 60_000
    })
    writeFileSync(join(tmp, 'build.log'), `${build.stdout}\n${build.stderr}`)
    if (!expect('podman build --format docker of the Dockerfile', build.code === 0, `${seconds(Date.now() - buildStart)}, ${bases.how}`, tail(build, 30))) return
    built = true

    await imageChecks(tag, pkg, lock)
    await runChecks(tag, name)

    if (opts.compose) {
      composeFileChecks(REPO, expect)
      await composeStack({ repo: REPO, tmp, image: tag, redisImage: bases.redis, project: `sectigo_proxy_test_${process.pid}`, report })
    } else {
      skip('compose', '--no-compose')
    }
  } catch (err) {
    fail('test:container stopped', err.stack ?? String(err))
  } finally {
    clearTimeout(overall)
    await cleanup()
  }
  const c = counts()
  console.log(`test:container: ${c.FAIL === 0 ? 'PASSED' : 'FAILED'}: ${c.PASS} passed, ${c.FAIL} failed, ${c.SKIP} skipped in ${seconds(Date.now() - started)}`)
  process.exitCode = c.FAIL === 0 ? 0 : 1
}

/** `node:24` → `docker.io/library/node:24`: podman pulls no short name without a terminal. */
const qualified = (image) => (/^[^/]+\.[^/]+\//.test(image) || image.startsWith('localhost/') ? image : `docker.io/${image.includes('/') ? '' : 'library/'}${image}`)

/** The Dockerfile's own bases (and compose's Redis) when podman has or can pull them, else stand-ins. */
async function baseImages(dockerfile, tmp, opts) {
  const compose = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')
  const wanted = {
    build: qualified(dockerfileArg(dockerfile, 'NODE_BUILD_IMAGE') ?? ''),
    runtime: qualified(dockerfileArg(dockerfile, 'NODE_RUNTIME_IMAGE') ?? ''),
    redis: qualified(/^\s+image:\s*(redis:\S+)/m.exec(compose)?.[1] ?? 'redis')
  }
  const available = async (image) =>
    (await podman(['image', 'exists', image])).code === 0 || (await podman(['pull', '--quiet', image], { timeoutMs: 180_000 })).code === 0
  const official = (await available(wanted.build)) && (await available(wanted.runtime))
  const officialRedis = !opts.compose || (await available(wanted.redis))
  if (official) pass('base images', `${wanted.build}, ${wanted.runtime}`)
  if (official && officialRedis) return { build: wanted.build, runtime: wanted.runtime, redis: undefined, how: 'official bases' }
  info(`${official ? wanted.redis : `${wanted.build} / ${wanted.runtime}`} cannot be pulled: stand-ins`)
  const t0 = Date.now()
  const standIn = await ensureStandIns({ dockerfileText: dockerfile, tmp, mirror: opts.mirror, log: info })
  pass(
    'stand-in base images',
    `${standIn.node} (Debian minbase, node ${standIn.nodeVersion}, npm ${standIn.npmVersion}, user node 1000:1000), ${standIn.redis}; ${standIn.made ? `made in ${seconds(Date.now() - t0)}` : 'cached'}`
  )
  return {
    build: official ? wanted.build : standIn.node,
    runtime: official ? wanted.runtime : standIn.node,
    redis: officialRedis ? undefined : standIn.redis,
    how: official ? 'official bases' : 'stand-in bases'
  }
}

async function imageChecks(tag, pkg, lock) {
  const inspected = JSON.parse((await podman(['image', 'inspect', tag])).stdout)[0]
  const config = inspected.Config ?? {}
  expect('image: USER is numeric and not root', /^[1-9]\d*(:\d+)?$/.test(config.User ?? ''), `USER ${config.User}`)
  const hc = (inspected.Healthcheck ?? config.Healthcheck)?.Test ?? []
  expect('image: HEALTHCHECK kept (docker format), in exec form with node', hc[0] === 'CMD' && hc[1] === 'node', JSON.stringify(hc))
  expect('image: CMD runs node itself (no npm, no shell)', config.Entrypoint == null && config.Cmd?.[0] === 'node', JSON.stringify(config.Cmd))
  expect('image: NODE_ENV=production', (config.Env ?? []).includes('NODE_ENV=production'))
  const version = config.Labels?.['org.opencontainers.image.version']
  expect('image: version label follows package.json', version === pkg.version, `${version}`, `${version} != ${pkg.version}: update ARG VERSION in the Dockerfile`)
  expect('image: STOPSIGNAL SIGTERM', (config.StopSignal ?? 'SIGTERM') === 'SIGTERM', config.StopSignal)
  const secretEnv = (config.Env ?? []).filter((e) => /(PASSWORD|SECRET|TOKEN|API_KEYS?)=./.test(e))
  const history = (await podman(['history', '--no-trunc', '--format', '{{.CreatedBy}}', tag])).stdout
  const secretHistory = history.split('\n').filter((l) => /spk_|PASSWORD=|build-ca|BEGIN .*PRIVATE KEY/.test(l))
  expect('image: no secret in its environment or history', secretEnv.length === 0 && secretHistory.length === 0, undefined, [...secretEnv, ...secretHistory].join('; '))

  const mount = await podman(['image', 'mount', tag])
  if (!expect('image: mounted for inspection', mount.code === 0, undefined, tail(mount))) return
  try {
    const root = mount.stdout.trim()
    const { problems, files, bytes } = imageContentProblems(root, { lock, pkg })
    expect(
      'image: /app holds dist, the production dependencies and package.json only (no dev dependency, test, source, .git or secret)',
      problems.length === 0,
      `${files} files, ${mib(bytes)}`,
      problems.join('\n')
    )
    const leftovers = leftoverBuildFiles(root)
    expect('image: nothing of the build-time CA option', leftovers.length === 0, undefined, leftovers.join(', '))
  } finally {
    await podman(['image', 'unmount', tag])
  }
  info(`image size: ${mib(inspected.Size)} (${tag})`)
}

async function runChecks(tag, name) {
  const port = await freePort()
  const t0 = Date.now()
  const started = await podman([
    'run', '-d', '--name', name,
    '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', ...ULIMITS,
    '-e', 'SECTIGO_MODE=sandbox', '-e', `SIMULATOR_SLOW_MS=${SLOW_MS}`,
    '-p', `127.0.0.1:${port}:3000`, tag
  ])
  if (!expect('podman run --read-only --cap-drop ALL (sandbox mode)', started.code === 0, `port ${port}`, tail(started))) return
  const logs = async () => (await podman(['logs', name])).stdout
  const ready = await waitFor(async () => (await httpCall({ port, path: '/readyz', timeoutMs: 1000 })).status === 200, { timeoutMs: 30_000, intervalMs: 100 })
  const readyMs = Date.now() - t0
  if (!expect('run: GET /readyz answers 200', ready, `${readyMs} ms after podman run`, (await logs()).slice(-2000))) return
  const state = JSON.parse((await podman(['inspect', name])).stdout)[0].State
  const listening = (await logs()).split('\n').map(jsonLine).find((l) => /^Server listening/.test(l?.msg ?? ''))
  const nodeMs = listening ? Date.parse(listening.time) - Date.parse(state.StartedAt) : Number.NaN
  info(`startup: ${readyMs} ms from podman run to /readyz 200; ${nodeMs} ms from the container's start to "Server listening"`)

  const status = await podman(['exec', name, 'cat', '/proc/1/status'])
  const uid = /^Uid:\s+(\d+)/m.exec(status.stdout)?.[1]
  const cmdline = (await podman(['exec', name, 'cat', '/proc/1/cmdline'])).stdout.split('\0').filter(Boolean)
  expect('run: PID 1 is node, as uid 1000', uid === '1000' && /node$/.test(cmdline[0] ?? ''), `uid ${uid}: ${cmdline.join(' ')}`)
  // The heap bounds the bench measured the service with (scripts/bench.ts reads the same ENV).
  const runtime = imageRuntimeEnv(join(REPO, 'Dockerfile'))
  const environ = (await podman(['exec', name, 'cat', '/proc/1/environ'])).stdout.split('\0')
  for (const [variable, value] of Object.entries(runtime)) {
    expect(`run: PID 1 runs with the Dockerfile's ${variable}`, environ.includes(`${variable}=${value}`), value)
  }
  // NODE_OPTIONS reaches every node of the image: the young generation it sets is in the heap limit.
  const heapLimit = async (env) => {
    const heap = await podman(['exec', ...env, name, 'node', '-e', "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"])
    return Number(heap.stdout)
  }
  const limit = await heapLimit([])
  const unset = await heapLimit(['-e', 'NODE_OPTIONS='])
  info(`heap limit: ${mib(limit)} with the image's NODE_OPTIONS, ${mib(unset)} without`)
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status.stdout)?.[1] ?? Number.NaN) * 1024
  info(`idle RSS of the service (PID 1, sandbox mode with its simulator, Node ${(await podman(['exec', name, 'node', '--version'])).stdout.trim()}): ${mib(rss)}`)
  const write = await podman(['exec', '--user', '0', name, 'node', '-e', "require('fs').writeFileSync('/app/probe', 'x')"])
  expect('run: the root file system is read-only (even for root)', write.code !== 0 && /EROFS/.test(write.stderr), undefined, tail(write, 3))
  expect('run: one sandbox warning line', (await logs()).split('\n').map(jsonLine).filter((l) => l?.level === 'warn' && /sandbox/.test(l.msg ?? '')).length === 1)

  const health = await podman(['healthcheck', 'run', name], { timeoutMs: 30_000 })
  expect('run: the HEALTHCHECK passes (podman healthcheck run)', health.code === 0, health.stdout.trim() || 'healthy', tail(health, 5))
  const image = JSON.parse((await podman(['image', 'inspect', tag])).stdout)[0]
  const test = ((image.Healthcheck ?? image.Config?.Healthcheck)?.Test ?? []).slice(1)
  const unhealthy = await podman(['exec', '-e', 'PORT=1', name, ...test], { timeoutMs: 30_000 })
  expect('run: the HEALTHCHECK command exits 1 when nothing answers', unhealthy.code === 1, unhealthy.stdout.trim(), `exit ${unhealthy.code}: ${tail(unhealthy, 3)}`)

  const dcv = await httpCall({ port, method: 'POST', path: '/orders/1000001/dcv', body: { method: 'CNAME_CSR_HASH' } })
  expect('run: POST /orders/1000001/dcv → 200 from the sandbox', dcv.status === 200, dcv.text.slice(0, 100), `${dcv.status} ${dcv.error ?? dcv.text.slice(0, 300)}`)

  // Drain: a call in flight (the simulator's slow order) when `podman stop` sends SIGTERM.
  const inFlight = httpCall({ port, method: 'POST', path: '/orders/9000001/replacement', body: {}, timeoutMs: SLOW_MS + 20_000 })
  const upstream = await waitFor(async () => /!AutoReplaceMC/.test(await logs()), { timeoutMs: 5000, intervalMs: 100 })
  if (!upstream) info('no upstream log line for the slow call within 5 s: stopping anyway')
  const stopStart = Date.now()
  const stopping = podman(['stop', '-t', String(STOP_TIMEOUT_S), name], { timeoutMs: (STOP_TIMEOUT_S + 30) * 1000 })
  // podman delivers SIGTERM a moment after it starts: readiness turning 503 shows it arrived.
  let slowDone = false
  const slowCall = inFlight.then((r) => ((slowDone = true), r))
  let draining
  await waitFor(
    async () => {
      draining = await httpCall({ port, path: '/readyz', timeoutMs: 2000 })
      return draining.status === 503 || slowDone
    },
    { timeoutMs: SLOW_MS + 5000, intervalMs: 100 }
  )
  const drainingMs = Date.now() - stopStart
  expect(
    'run: SIGTERM arrives while the call is in flight: GET /readyz → 503',
    draining?.status === 503 && !slowDone,
    `${seconds(drainingMs)} after podman stop`,
    `${draining?.status} ${draining?.error ?? draining?.text.slice(0, 200)}${slowDone ? ' (the slow call ended first)' : ''}`
  )
  const slow = await slowCall
  expect('run: the call in flight at podman stop completes', slow.status === 200, `200 after ${seconds(Date.now() - stopStart)} of drain`, `${slow.status} ${slow.error ?? slow.text.slice(0, 200)}`)
  const stopped = await stopping
  const stopMs = Date.now() - stopStart
  const exitCode = JSON.parse((await podman(['inspect', name])).stdout)[0]?.State?.ExitCode
  expect(
    `run: podman stop → exit 0 in time (before the ${STOP_TIMEOUT_S} s SIGKILL)`,
    stopped.code === 0 && exitCode === 0 && stopMs < STOP_TIMEOUT_S * 1000,
    `exit ${exitCode} after ${seconds(stopMs)}`,
    `exit ${exitCode} after ${seconds(stopMs)}: ${tail(stopped, 3)}`
  )
  const lines = (await logs()).split('\n').filter(Boolean)
  const nonJson = lines.filter((l) => !jsonLine(l))
  expect('run: every log line is JSON', nonJson.length === 0, `${lines.length} lines`, nonJson.slice(0, 3).join(' | '))
}

function jsonLine(line) {
  try {
    const value = JSON.parse(line)
    return value !== null && typeof value === 'object' ? value : undefined
  } catch {
    return undefined
  }
}

await main()
