// What the built image's file system must and must not hold, checked on the mounted image.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/** Every file and folder under `dir` (symbolic links are listed, not followed). */
export function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    out.push({ path, dir: entry.isDirectory() })
    if (entry.isDirectory()) walk(path, out)
  }
  return out
}

/** The dev-only packages of a lock file: those a production install leaves out. */
export function devOnlyPackages(lock) {
  return Object.entries(lock.packages ?? {})
    .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev === true)
    .map(([path]) => path)
}

const SECRET_NAME = /(^|\/)(\.env(\.[^/]*)?|\.npmrc|secrets|id_(rsa|ecdsa|ed25519)|[^/]*\.(pem|key|p12|pfx))$/
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/
const TEST_NAME = /(^|\/)[^/]+\.(test|spec)\.[cm]?[jt]sx?$/

/**
 * Looks at `<root>/<appDir>`: returns a list of problems (empty when the image is as it should be)
 * and a few figures. `lock` and `pkg` are the parsed package-lock.json and package.json.
 */
export function imageContentProblems(root, { appDir = '/app', lock, pkg }) {
  const problems = []
  const app = join(root, appDir)
  if (!existsSync(app)) return { problems: [`${appDir} does not exist`], files: 0, bytes: 0 }
  const top = readdirSync(app).sort()
  const expected = ['dist', 'node_modules', 'package.json']
  if (JSON.stringify(top) !== JSON.stringify(expected)) problems.push(`${appDir} holds ${top.join(', ')}, not only ${expected.join(', ')}`)
  for (const entry of ['dist/server.js', 'dist/simulator/server.js', 'dist/healthcheck.js']) {
    if (!existsSync(join(app, entry))) problems.push(`${entry} is missing`)
  }
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (!existsSync(join(app, 'node_modules', dep, 'package.json'))) problems.push(`production dependency ${dep} is missing`)
  }
  const dev = devOnlyPackages(lock).filter((path) => existsSync(join(app, path)))
  if (dev.length > 0) problems.push(`dev-only packages installed: ${dev.slice(0, 8).join(', ')}${dev.length > 8 ? ` and ${dev.length - 8} more` : ''}`)

  let files = 0
  let bytes = 0
  for (const { path, dir } of walk(app)) {
    const rel = relative(app, path)
    const inDeps = rel.startsWith('node_modules/')
    if (/(^|\/)\.git$/.test(rel)) problems.push(`${rel}: a git folder`)
    if (SECRET_NAME.test(rel)) problems.push(`${rel}: a secret-looking ${dir ? 'folder' : 'file'}`)
    if (dir) continue
    const stat = lstatSync(path)
    files++
    bytes += stat.size
    if (inDeps) continue
    // Our own files: compiled JavaScript only, no test, no source, no key.
    if (TEST_NAME.test(rel)) problems.push(`${rel}: a test file`)
    if (/\.ts$/.test(rel) && !/\.d\.ts$/.test(rel)) problems.push(`${rel}: a TypeScript source`)
    if (stat.isFile() && stat.size < 5_000_000 && PRIVATE_KEY.test(readFileSync(path, 'latin1'))) problems.push(`${rel}: holds a private key`)
  }
  for (const dir of ['src', 'test', 'scripts', '.git']) if (existsSync(join(app, dir))) problems.push(`${appDir}/${dir} exists`)
  return { problems, files, bytes }
}

/** Build-time files that must never reach the image (the CA bundle option mounts them only for RUN). */
export function leftoverBuildFiles(root) {
  return ['root/.npmrc', 'run/build-ca'].filter((p) => existsSync(join(root, p)))
}
