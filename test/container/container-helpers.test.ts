import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The container test's helpers are plain JavaScript run by `node`; what these tests use is typed here.
interface ComposeService {
  environment?: Record<string, string | undefined>
  depends_on?: Record<string, { condition?: string }>
  secrets?: { source: string; target?: string }[]
  command?: string[]
  healthcheck?: { test?: string[] }
  profiles?: string[]
}
interface ComposeModel {
  parseDuration(text: string | number): number
  interpolate(text: string, env: Record<string, string>, errors: string[]): string
  loadCompose(texts: string[], env?: Record<string, string>): { model: { services: Record<string, ComposeService>; secrets?: Record<string, { file?: string }> }; errors: string[] }
  configurationVariables(source: string): Set<string>
}
type Expect = (name: string, ok: boolean, detail?: string, failDetail?: string) => boolean
interface ComposeChecks {
  composeFileChecks(repo: string, expect: Expect): void
}
interface ImageContents {
  imageContentProblems(
    root: string,
    options: { appDir?: string; lock: unknown; pkg: unknown }
  ): { problems: string[]; files: number; bytes: number }
  devOnlyPackages(lock: unknown): string[]
}
interface StandIns {
  nodeImageParts(image: string): { major: string; suite: string } | undefined
  dockerfileArg(text: string, name: string): string | undefined
}

const ROOT = join(import.meta.dirname, '..', '..')
const LIB = join(ROOT, 'scripts', 'container')
let compose: ComposeModel
let checks: ComposeChecks
let contents: ImageContents
let standIns: StandIns

beforeAll(async () => {
  compose = (await import(join(LIB, 'compose-model.mjs'))) as ComposeModel
  checks = (await import(join(LIB, 'compose-checks.mjs'))) as ComposeChecks
  contents = (await import(join(LIB, 'image-contents.mjs'))) as ImageContents
  standIns = (await import(join(LIB, 'stand-in-images.mjs'))) as StandIns
})

describe('durations and interpolation', () => {
  it('parses Go durations', () => {
    expect(compose.parseDuration('75s')).toBe(75_000)
    expect(compose.parseDuration('1m15s')).toBe(75_000)
    expect(compose.parseDuration('500ms')).toBe(500)
    expect(compose.parseDuration('1.5h')).toBe(5_400_000)
    expect(compose.parseDuration('75')).toBeNaN()
  })

  it('interpolates like compose and reports required variables', () => {
    const errors: string[] = []
    expect(compose.interpolate('${A}-${B:-b}-${C-c}-${A:+set}-$$A-$A', { A: 'a', C: '' }, errors)).toBe('a-b--set-$A-a')
    expect(compose.interpolate('${NAME:?set NAME}', {}, errors)).toBe('')
    expect(errors).toEqual(['NAME: set NAME'])
  })
})

describe('compose files', () => {
  const base = `
services:
  app:
    environment: [A=1, B=2]
    depends_on: [db, sim]
    secrets: [pw]
  sim:
    command: ["node", "sim.js"]
  db: {}
secrets:
  pw: { file: ./a.txt }
`
  const override = `
services:
  app:
    environment: { B: "3", C: "\${LOGIN:?needed}" }
    depends_on: !override
      db: { condition: service_healthy }
  sim:
    profiles: [off]
    command: !reset []
secrets:
  pw: { file: ./b.txt }
`

  it('merges as docker compose -f a -f b does, with !override and !reset', () => {
    const { model, errors } = compose.loadCompose([base, override], { LOGIN: 'me' })
    expect(errors).toEqual([])
    expect(model.services.app?.environment).toEqual({ A: '1', B: '3', C: 'me' })
    expect(model.services.app?.depends_on).toEqual({ db: { condition: 'service_healthy' } })
    expect(model.services.app?.secrets).toEqual([{ source: 'pw' }])
    expect(model.services.sim).toEqual({ profiles: ['off'] })
    expect(model.secrets).toEqual({ pw: { file: './b.txt' } })
  })

  it('keeps the base alone untouched and reports a missing required variable', () => {
    expect(compose.loadCompose([base]).model.services.app?.depends_on).toEqual({
      db: { condition: 'service_started' },
      sim: { condition: 'service_started' }
    })
    expect(compose.loadCompose([base, override], {}).errors).toEqual(['LOGIN: needed'])
  })

  it("reads the configuration table's variable names from env-schema.ts", () => {
    const names = compose.configurationVariables(readFileSync(join(ROOT, 'src', 'config', 'env-schema.ts'), 'utf8'))
    for (const name of ['PORT', 'HOST', 'SHUTDOWN_GRACE_MS', 'REDIS_URL', 'SIMULATOR_PORT', 'API_KEYS_FILE', 'SECTIGO_LOGIN_PASSWORD_FILE']) {
      expect(names).toContain(name)
    }
    expect(names).not.toContain('SECTIGO_LOGIN_PASSWORD_FLE')
  })
})

describe('compose-secrets.mjs', () => {
  let dir: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sectigo-proxy-secrets-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const run = promisify(execFile)
  const script = join(ROOT, 'scripts', 'compose-secrets.mjs')

  it('writes the simulator password and an API key file holding only the SHA-256 of the printed key', async () => {
    const secrets = join(dir, 'secrets')
    const { stdout } = await run(process.execPath, [script, '--dir', secrets])
    const key = stdout.trim()
    expect(key).toMatch(/^spk_[A-Za-z0-9_-]{43}$/)
    const keys = readFileSync(join(secrets, 'api_keys.json'), 'utf8')
    expect(JSON.parse(keys)).toEqual([
      { id: 'compose', sha256: createHash('sha256').update(key).digest('hex'), scopes: ['dcv:write', 'replacement:write'] }
    ])
    expect(keys).not.toContain(key)
    expect(readFileSync(join(secrets, 'sectigo_login_password.txt'), 'utf8')).toBe('sandbox\n')
    expect(statSync(secrets).mode & 0o777).toBe(0o700)

    const again = await run(process.execPath, [script, '--dir', secrets])
    expect(again.stdout).toBe('')
    expect(readFileSync(join(secrets, 'api_keys.json'), 'utf8')).toBe(keys)
  })
})

describe("the project's compose files", () => {
  it('pass every file check (override, configuration table, grace periods, readiness)', () => {
    const failed: string[] = []
    let count = 0
    checks.composeFileChecks(ROOT, (name, ok, _detail, failDetail) => {
      count++
      if (!ok) failed.push(`${name}: ${failDetail ?? ''}`)
      return ok
    })
    expect(failed).toEqual([])
    expect(count).toBeGreaterThanOrEqual(10)
  })
})

describe('image contents', () => {
  let root: string
  const lock = {
    packages: {
      '': {},
      'node_modules/fastify': {},
      'node_modules/vitest': { dev: true },
      'node_modules/@types/node': { dev: true }
    }
  }
  const pkg = { dependencies: { fastify: '^5' } }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sectigo-proxy-image-'))
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  function image(name: string, files: Record<string, string>): string {
    const base = join(root, name)
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(base, 'app', path, '..'), { recursive: true })
      writeFileSync(join(base, 'app', path), text)
    }
    return base
  }
  const good = {
    'package.json': '{}',
    'dist/server.js': '',
    'dist/simulator/server.js': '',
    'dist/healthcheck.js': '',
    'node_modules/fastify/package.json': '{}',
    // Tests and fixtures inside dependencies are theirs, not ours.
    'node_modules/fastify/test/a.test.js': ''
  }

  it('accepts the compiled service with its production dependencies', () => {
    const result = contents.imageContentProblems(image('good', good), { lock, pkg })
    expect(result.problems).toEqual([])
    expect(result.files).toBe(6)
  })

  it('finds a dev dependency, a test, a source, .git, a secret and a missing entry point', () => {
    const bad = { ...good } as Record<string, string>
    delete bad['dist/healthcheck.js']
    Object.assign(bad, {
      'node_modules/@types/node/package.json': '{}',
      'dist/routes/x.test.js': '',
      'dist/app.ts': '',
      '.git/HEAD': 'ref',
      '.env': 'A=1',
      'dist/keys/service.key': '',
      'dist/embedded.js': 'const k = `-----BEGIN PRIVATE KEY-----`'
    })
    const { problems } = contents.imageContentProblems(image('bad', bad), { lock, pkg })
    const text = problems.join('\n')
    for (const expected of ['holds .env, .git, dist', 'dist/healthcheck.js is missing', 'dev-only packages installed: node_modules/@types/node', 'dist/routes/x.test.js: a test file', 'dist/app.ts: a TypeScript source', '.git: a git folder', '.env: a secret-looking file', 'dist/keys/service.key: a secret-looking file', 'dist/embedded.js: holds a private key']) {
      expect(text).toContain(expected)
    }
  })

  it('reads the dev-only packages of the real lock file', () => {
    const real = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as unknown
    const dev = contents.devOnlyPackages(real)
    expect(dev).toContain('node_modules/vitest')
    expect(dev).not.toContain('node_modules/fastify')
  })
})

describe('stand-in base images', () => {
  it("reads the Dockerfile's bases and the Node major and Debian release of a node image", () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    expect(standIns.dockerfileArg(dockerfile, 'NODE_RUNTIME_IMAGE')).toBe('node:24-bookworm-slim')
    expect(standIns.dockerfileArg(dockerfile, 'NODE_BUILD_IMAGE')).toBe('node:24-bookworm')
    expect(standIns.nodeImageParts('node:24-bookworm-slim')).toEqual({ major: '24', suite: 'bookworm' })
    expect(standIns.nodeImageParts('docker.io/library/node:24.11.1-trixie@sha256:abc')).toEqual({ major: '24', suite: 'trixie' })
    expect(standIns.nodeImageParts('node:24-alpine')).toEqual({ major: '24', suite: 'alpine' })
    expect(standIns.nodeImageParts('gcr.io/distroless/nodejs24-debian12')).toBeUndefined()
  })
})
