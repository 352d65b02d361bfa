// docker-compose.yml, started for real with podman-compose (Debian's, 1.0.3): a copy of the file in
// a temporary folder that differs only where this machine needs it: the image this run built
// instead of a `build:` section, a free loopback port instead of 3000, and a Redis stand-in when
// redis:7.4-alpine cannot be pulled. Secrets are made by scripts/compose-secrets.mjs, as an
// operator makes them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import YAML from 'yaml'
import { aptInstall, podman, writeContainersConf } from './podman.mjs'
import { freePort, httpCall, run, tail, waitFor } from './processes.mjs'

const SERVICES = ['redis', 'simulator', 'proxy']

export async function composeStack({ repo, tmp, image, redisImage, project, report }) {
  const { expect, fail, info } = report
  const why = await aptInstall({ 'podman-compose': 'podman-compose' }, info)
  if (why) {
    fail('podman-compose is available', why)
    return
  }
  const dir = join(tmp, 'compose')
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const doc = YAML.parseDocument(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'))
  for (const name of ['proxy', 'simulator']) {
    doc.setIn(['services', name, 'image'], image)
    doc.deleteIn(['services', name, 'build'])
  }
  if (redisImage) doc.setIn(['services', 'redis', 'image'], redisImage)
  doc.setIn(['services', 'proxy', 'ports'], [`127.0.0.1:${port}:3000`])
  const file = join(dir, 'docker-compose.yml')
  writeFileSync(file, doc.toString())

  const secrets = await run(process.execPath, [join(repo, 'scripts', 'compose-secrets.mjs'), '--dir', join(dir, 'secrets')], { timeoutMs: 30_000 })
  const apiKey = secrets.stdout.split('\n').map((l) => l.trim()).find((l) => /^spk_[A-Za-z0-9_-]{43}$/.test(l))
  if (!expect('compose-secrets.mjs writes the secrets and prints an API key', secrets.code === 0 && apiKey !== undefined, undefined, tail(secrets))) return

  const env = { ...process.env, CONTAINERS_CONF: writeContainersConf(dir) }
  const compose = (args, timeoutMs) => run('podman-compose', ['--no-ansi', '-p', project, '-f', file, ...args], { cwd: dir, env, timeoutMs })
  const container = (service) => `${project}_${service}_1`
  try {
    const t0 = Date.now()
    const up = await compose(['up', '-d', '--no-build'], 180_000)
    if (!expect('podman-compose up -d', up.code === 0, `${((Date.now() - t0) / 1000).toFixed(1)} s`, tail(up))) return

    // podman-compose 1.0.3 starts in order but does not wait for `condition: service_healthy`.
    for (const service of SERVICES) {
      const healthy = await waitFor(async () => (await podman(['healthcheck', 'run', container(service)], { timeoutMs: 15_000 })).code === 0, { timeoutMs: 60_000, intervalMs: 500 })
      // On failure, the service's last log lines say why (a configuration error, a crash).
      const why = healthy ? undefined : (await podman(['logs', '--tail', '15', container(service)])).stdout + (await podman(['logs', '--tail', '15', container(service)])).stderr
      expect(`compose: ${service} passes its health check`, healthy, `${((Date.now() - t0) / 1000).toFixed(1)} s after up`, why)
    }

    const inspect = JSON.parse((await podman(['inspect', ...SERVICES.map(container)])).stdout || '[]')
    const soft = inspect.filter((c) => !c.HostConfig?.ReadonlyRootfs || !(c.HostConfig?.SecurityOpt ?? []).some((o) => o.startsWith('no-new-privileges'))).map((c) => c.Name)
    expect('compose: every container has a read-only root and no-new-privileges', inspect.length === SERVICES.length && soft.length === 0, `${inspect.length} containers`, `not so: ${soft.join(', ')}`)
    const backend = JSON.parse((await podman(['network', 'inspect', `${project}_backend`])).stdout || '[]')[0]
    expect('compose: the backend network is internal (no way out)', backend?.internal === true, backend?.name)

    const proxyLogs = async () => (await podman(['logs', container('proxy')])).stdout
    const call = await httpCall({ port, method: 'POST', path: '/orders/1000001/dcv', headers: { authorization: `Bearer ${apiKey}` }, body: { method: 'CNAME_CSR_HASH' } })
    expect('compose: POST /orders/1000001/dcv with the generated key → 200', call.status === 200, call.text.slice(0, 100), `${call.status} ${call.error ?? call.text.slice(0, 300)}`)
    const simLogs = (await podman(['logs', container('simulator')])).stdout
    expect('compose: the call went over the backend network to the simulator', /!AutoUpdateDCV/.test(simLogs), undefined, 'no !AutoUpdateDCV line in the simulator log')
    expect('compose: the proxy runs in live mode (no sandbox warning)', !/sandbox mode/.test(await proxyLogs()))
    const anonymous = await httpCall({ port, method: 'POST', path: '/orders/1000001/dcv', body: { method: 'CNAME_CSR_HASH' } })
    expect('compose: a call without a key → 401', anonymous.status === 401, undefined, `${anonymous.status} ${anonymous.text.slice(0, 200)}`)
    const keys = await podman(['exec', container('redis'), 'redis-cli', 'dbsize'])
    const redisLines = (await proxyLogs()).split('\n').filter((l) => /redis/i.test(l)).slice(-3).join('\n')
    const protectedMode = (await podman(['exec', container('redis'), 'redis-cli', 'config', 'get', 'protected-mode'])).stdout.replace(/\s+/g, ' ').trim()
    expect("compose: the proxy keeps its rate-limit state in the stack's Redis", keys.code === 0 && Number(keys.stdout.trim()) > 0, `${keys.stdout.trim()} keys`, `${tail(keys)}\n${redisLines}\n${protectedMode}`)

    // podman-compose ignores stop_grace_period: give the proxy's 75 s explicitly.
    const stop = await compose(['stop', '-t', '75'], 240_000)
    const exits = JSON.parse((await podman(['inspect', container('proxy'), container('simulator')])).stdout || '[]').map((c) => `${c.Name} ${c.State?.ExitCode}`)
    expect('compose: proxy and simulator exit 0 on stop', stop.code === 0 && exits.length === 2 && exits.every((e) => e.endsWith(' 0')), exits.join(', '), `${exits.join(', ')} ${tail(stop, 5)}`)
  } finally {
    await compose(['down', '-t', '5'], 120_000)
    // podman-compose 1.0.3 leaves the project's networks behind.
    const networks = await podman(['network', 'ls', '--filter', `label=io.podman.compose.project=${project}`, '--format', '{{.Name}}'])
    const names = networks.stdout.split('\n').filter(Boolean)
    if (names.length > 0) await podman(['network', 'rm', '-f', ...names])
  }
}
