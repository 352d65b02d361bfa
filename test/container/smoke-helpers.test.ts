import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The smoke test is plain JavaScript run by `node`; its pure helpers are typed here.
interface Stage {
  index: number
  name?: string
  label: string
  image: string
  env: Record<string, string>
  args: Record<string, string>
  labels: Record<string, string>
  workdir: string
  user?: string
  expose: string[]
  cmd?: string[]
  healthcheck?: { options: Record<string, string>; exec: boolean; command: string[] }
  copiesFrom: Set<string>
}
interface ComposeService {
  environment?: Record<string, string | undefined>
  depends_on?: Record<string, { condition?: string }>
  secrets?: { source: string; target?: string }[]
  command?: string[]
  healthcheck?: { test?: string[] }
  profiles?: string[]
}
interface SmokeHelpers {
  shellWords(input: string, vars?: Record<string, string> | null): string[]
  parseDockerfile(text: string): { globalArgs: unknown[]; stages: unknown[] }
  describeStages(parsed: unknown, buildArgs?: Record<string, string>): Stage[]
  neededStages(stages: Stage[]): Stage[]
  dockerignoreMatcher(text: string): (path: string) => boolean
  parseDuration(text: string | number): number
  interpolate(text: string, env: Record<string, string>, errors: string[]): string
  loadCompose(texts: string[], env?: Record<string, string>): { model: { services: Record<string, ComposeService>; secrets?: Record<string, { file?: string }> }; errors: string[] }
  configurationVariables(source: string): Set<string>
  nodeVersionOfImage(image: string): string | undefined
}

const ROOT = join(import.meta.dirname, '..', '..')
const SMOKE: string = join(ROOT, 'scripts', 'smoke-container.mjs')
let smoke: SmokeHelpers

beforeAll(async () => {
  smoke = (await import(SMOKE)) as SmokeHelpers
})

const describeText = (text: string) => smoke.describeStages(smoke.parseDockerfile(text))

describe('Dockerfile parsing', () => {
  const text = [
    '# syntax=docker/dockerfile:1',
    'ARG BASE=node:24-bookworm',
    'FROM ${BASE} AS build',
    'WORKDIR /app',
    'RUN --mount=type=cache,target=/root/.npm \\',
    '    # a comment inside a continued instruction',
    '    npm ci',
    'FROM build AS unused',
    'RUN echo never',
    'FROM node:24-bookworm-slim',
    'ARG VERSION=1.2.3',
    'LABEL org.opencontainers.image.version="${VERSION}" title="it\'s here"',
    'ENV NODE_ENV=production HOST=0.0.0.0 \\',
    '    PORT=3000',
    'ENV LEGACY some words',
    'WORKDIR /app',
    'COPY --from=build /app/dist ./dist',
    'USER 1000:1000',
    'EXPOSE ${PORT}',
    'HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "/app/dist/healthcheck.js"]',
    'CMD ["node", "/app/dist/server.js"]'
  ].join('\n')

  it('reads stages, substitutes ARGs, joins continuations and drops comments inside them', () => {
    const stages = describeText(text)
    expect(stages.map((s) => [s.label, s.image])).toEqual([
      ['build', 'node:24-bookworm'],
      ['unused', 'build'],
      ['2', 'node:24-bookworm-slim']
    ])
    const runtime = stages[2]
    expect(runtime?.env).toEqual({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '3000', LEGACY: 'some words' })
    expect(runtime?.labels).toEqual({ 'org.opencontainers.image.version': '1.2.3', title: "it's here" })
    expect(runtime).toMatchObject({ workdir: '/app', user: '1000:1000', expose: ['3000'], cmd: ['node', '/app/dist/server.js'] })
    expect(runtime?.healthcheck).toEqual({ options: { interval: '30s', timeout: '5s' }, exec: true, command: ['node', '/app/dist/healthcheck.js'] })
    expect(smoke.neededStages(stages).map((s) => s.label)).toEqual(['build', '2'])
  })

  it('refuses what the replay would not reproduce', () => {
    expect(() => describeText('FROM node:24\nADD https://example.com/x /x')).toThrow(/ADD is not supported/)
    expect(() => smoke.parseDockerfile('FROM node:24\nRUN <<EOF\necho\nEOF')).toThrow(/heredocs/)
    expect(() => smoke.parseDockerfile('RUN echo')).toThrow(/before the first FROM/)
  })

  it('splits words like Docker: quotes, escapes and substitutions', () => {
    expect(smoke.shellWords(`a "b c" 'd $X' e\\ f $X \${Y:-dflt} \${X:+alt}`, { X: 'x' })).toEqual(['a', 'b c', 'd $X', 'e f', 'x', 'dflt', 'alt'])
    expect(smoke.shellWords('A=""')).toEqual(['A='])
  })

  it("describes the project's Dockerfile: non-root, production env, node as the command", () => {
    const stages = describeText(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
    const runtime = stages.at(-1)
    expect(runtime?.env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '3000' })
    expect(runtime?.user).toMatch(/^[1-9]\d*(:\d+)?$/)
    expect(runtime?.cmd?.[0]).toBe('node')
    expect(smoke.nodeVersionOfImage(runtime?.image ?? '')).toBe('24')
  })

  it('tells the Node version of an image', () => {
    expect(smoke.nodeVersionOfImage('node:24-bookworm-slim')).toBe('24')
    expect(smoke.nodeVersionOfImage('node:24.11.1-alpine@sha256:abc')).toBe('24.11.1')
    expect(smoke.nodeVersionOfImage('gcr.io/distroless/nodejs24-debian12')).toBe('24')
    expect(smoke.nodeVersionOfImage('debian:12')).toBeUndefined()
  })
})

describe('.dockerignore matching', () => {
  it('follows Docker: allowlist, exceptions, ** and parent folders', () => {
    const ignored = smoke.dockerignoreMatcher(['*', '!src', '!package.json', '**/.env', 'src/**/*.test.ts', '/dist/', '# comment'].join('\n'))
    expect(ignored('package.json')).toBe(false)
    expect(ignored('src/app.ts')).toBe(false)
    expect(ignored('src/deep/a.test.ts')).toBe(true)
    expect(ignored('src/.env')).toBe(true)
    expect(ignored('.git/HEAD')).toBe(true)
    expect(ignored('node_modules/x/index.js')).toBe(true)
    expect(ignored('dist/server.js')).toBe(true)
  })

  it('excludes a folder with everything in it, and the last matching line wins', () => {
    const ignored = smoke.dockerignoreMatcher('secrets\n*.md\n!README.md')
    expect(ignored('secrets/api_keys.json')).toBe(true)
    expect(ignored('docs.md')).toBe(true)
    expect(ignored('README.md')).toBe(false)
    expect(ignored('docs/a.md')).toBe(false)
  })
})

describe('durations and interpolation', () => {
  it('parses Go durations', () => {
    expect(smoke.parseDuration('75s')).toBe(75_000)
    expect(smoke.parseDuration('1m15s')).toBe(75_000)
    expect(smoke.parseDuration('500ms')).toBe(500)
    expect(smoke.parseDuration('1.5h')).toBe(5_400_000)
    expect(smoke.parseDuration('75')).toBeNaN()
  })

  it('interpolates like compose and reports required variables', () => {
    const errors: string[] = []
    expect(smoke.interpolate('${A}-${B:-b}-${C-c}-${A:+set}-$$A-$A', { A: 'a', C: '' }, errors)).toBe('a-b--set-$A-a')
    expect(smoke.interpolate('${NAME:?set NAME}', {}, errors)).toBe('')
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
    const { model, errors } = smoke.loadCompose([base, override], { LOGIN: 'me' })
    expect(errors).toEqual([])
    expect(model.services.app?.environment).toEqual({ A: '1', B: '3', C: 'me' })
    expect(model.services.app?.depends_on).toEqual({ db: { condition: 'service_healthy' } })
    expect(model.services.app?.secrets).toEqual([{ source: 'pw' }])
    expect(model.services.sim).toEqual({ profiles: ['off'] })
    expect(model.secrets).toEqual({ pw: { file: './b.txt' } })
  })

  it('keeps the base alone untouched and reports a missing required variable', () => {
    expect(smoke.loadCompose([base]).model.services.app?.depends_on).toEqual({
      db: { condition: 'service_started' },
      sim: { condition: 'service_started' }
    })
    expect(smoke.loadCompose([base, override], {}).errors).toEqual(['LOGIN: needed'])
  })

  it("reads the configuration table's variable names from env-schema.ts", () => {
    const names = smoke.configurationVariables(readFileSync(join(ROOT, 'src', 'config', 'env-schema.ts'), 'utf8'))
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
