// Podman from Debian, set up the way that works on this kind of machine: crun (podman's default)
// fails with "cgroups in hybrid mode not supported", runc with cgroupfs works, and the default
// ulimits of a container exceed the machine's hard limits.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from './processes.mjs'

export const RUNC = '/usr/sbin/runc'
/** Global options for every podman call. */
export const PODMAN_GLOBAL = ['--runtime', RUNC, '--cgroup-manager', 'cgroupfs']
/** Options for every container this test starts. */
export const ULIMITS = ['--ulimit', 'nofile=10000:10000', '--ulimit', 'nproc=1000:1000']

export function podman(args, options = {}) {
  return run('podman', [...PODMAN_GLOBAL, ...args], { timeoutMs: 60_000, ...options })
}

/**
 * The same settings as a containers.conf, for podman-compose (which calls podman itself): the
 * file is named by CONTAINERS_CONF in the environment it runs with.
 */
export function writeContainersConf(dir) {
  const path = join(dir, 'containers.conf')
  writeFileSync(
    path,
    [
      '[containers]',
      'default_ulimits = ["nofile=10000:10000", "nproc=1000:1000"]',
      '[engine]',
      `runtime = "runc"`,
      'cgroup_manager = "cgroupfs"',
      ''
    ].join('\n')
  )
  return path
}

const onPath = async (command) => (await run('sh', ['-c', `command -v ${command}`], { timeoutMs: 5000 })).code === 0

let aptUpdated = false

/**
 * Installs Debian packages that are missing (root only). Returns undefined when done, else why not.
 * `commands` maps a command to check to its package.
 */
export async function aptInstall(commands, log) {
  const missing = []
  for (const [command, pkg] of Object.entries(commands)) {
    const present = command.startsWith('/') ? existsSync(command) : await onPath(command)
    if (!present) missing.push(pkg)
  }
  if (missing.length === 0) return undefined
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return `${missing.join(', ')} missing and this is not root: apt-get install -y ${missing.join(' ')}`
  if (!(await onPath('apt-get'))) return `${missing.join(', ')} missing and there is no apt-get`
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  if (!aptUpdated) {
    log(`apt-get update (to install ${missing.join(', ')})`)
    const update = await run('apt-get', ['update', '-qq'], { timeoutMs: 300_000, env })
    if (update.code !== 0) return `apt-get update failed: ${update.stderr.trim().split('\n').slice(-3).join(' ')}`
    aptUpdated = true
  }
  log(`apt-get install -y ${missing.join(' ')}`)
  const install = await run('apt-get', ['install', '-y', '-qq', ...missing], { timeoutMs: 600_000, env })
  if (install.code !== 0) return `apt-get install ${missing.join(' ')} failed: ${install.stderr.trim().split('\n').slice(-3).join(' ')}`
  return undefined
}

/** Podman, buildah and runc, installed when missing; then asks podman whether it works. */
export async function ensureRuntime(log) {
  const why = await aptInstall({ podman: 'podman', buildah: 'buildah', [RUNC]: 'runc' }, log)
  if (why) return { ok: false, why }
  const version = await podman(['version', '--format', '{{.Client.Version}}'], { timeoutMs: 30_000 })
  if (version.code !== 0) return { ok: false, why: `podman does not work here: ${version.stderr.trim().split('\n').slice(-2).join(' ')}` }
  const runc = await run(RUNC, ['--version'], { timeoutMs: 10_000 })
  return { ok: true, version: `podman ${version.stdout.trim()}, ${runc.stdout.split('\n')[0]}` }
}
