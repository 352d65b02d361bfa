import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError, isLoopback, loadConfig } from '../src/config/load-config.js'

const SECRET = 'Pa55-word-that-must-not-print'
const LIVE = {
  SECTIGO_LOGIN_NAME: 'acme',
  SECTIGO_LOGIN_PASSWORD: SECRET,
  ALLOW_UNAUTHENTICATED: 'true'
}
const KEY_ENTRY = JSON.stringify([{ id: 'billing', sha256: 'a'.repeat(64), scopes: ['dcv:write'] }])

function failure(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const configError = err as ConfigError
    expect(configError.message).not.toContain(SECRET)
    return configError
  }
  throw new Error('expected a configuration error')
}

function tempFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sectigo-proxy-config-'))
  const path = join(dir, 'secret')
  writeFileSync(path, content)
  return path
}

describe('configuration defaults', () => {
  it('serves sandbox mode on 127.0.0.1:3000 with the table defaults when nothing is set', () => {
    const config = loadConfig({})
    expect(config.mode).toBe('sandbox')
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      trustProxy: false,
      docsEnabled: true,
      bodyLimitBytes: 262144,
      // 10 s queue + 3 × 10 s connect + 0.9 s back-off + 60 s attempt, + 5 s.
      longestCallMs: 100_900,
      shutdownGraceMs: 105_900,
      // The sandbox's default limit does not get in the way of trying it; live mode keeps 60.
      rateLimit: { max: 10000, windowMs: 60000 },
      idempotency: { store: 'memory', ttlSeconds: 86400, maxEntries: 100000, maxBytes: 33554432 },
      simulator: { port: 8081, host: '127.0.0.1', loginName: 'sandbox', loginPassword: 'sandbox', slowMs: 90000 }
    })
    expect(config.sectigo).toMatchObject({ timeoutMs: 60000, connectTimeoutMs: 10000, maxConnections: 20, maxQueue: 200, queueTimeoutMs: 10000 })
  })

  it('limits live mode to 60 calls a minute by default, and honours RATE_LIMIT_MAX in both modes', () => {
    expect(loadConfig(LIVE).rateLimit).toEqual({ max: 60, windowMs: 60000 })
    expect(loadConfig({ RATE_LIMIT_MAX: '5' }).rateLimit.max).toBe(5)
    expect(loadConfig({ ...LIVE, RATE_LIMIT_MAX: '500' }).rateLimit.max).toBe(500)
  })

  it('sheds load when the event loop lags over OVERLOAD_EVENT_LOOP_DELAY_MS (1 s by default; 0 for never)', () => {
    expect(loadConfig({}).overloadEventLoopDelayMs).toBe(1000)
    expect(loadConfig({ OVERLOAD_EVENT_LOOP_DELAY_MS: '0' }).overloadEventLoopDelayMs).toBe(0)
    expect(() => loadConfig({ OVERLOAD_EVENT_LOOP_DELAY_MS: '-5' })).toThrow(/OVERLOAD_EVENT_LOOP_DELAY_MS/)
  })

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '', SECTIGO_LOGIN_NAME: '' }).mode).toBe('sandbox')
  })

  it('derives SHUTDOWN_GRACE_MS from the longest time a call can stay in flight', () => {
    const config = loadConfig({ SECTIGO_TIMEOUT_MS: '2000', SECTIGO_CONNECT_TIMEOUT_MS: '1000', SECTIGO_QUEUE_TIMEOUT_MS: '500' })
    // 0.5 s queue + 3 connect attempts of 1 s (AutoUpdateDCV retries those) + 0.9 s back-off + 2 s attempt.
    expect(config.longestCallMs).toBe(6400)
    expect(config.shutdownGraceMs).toBe(11_400)
    expect(loadConfig({ SECTIGO_TIMEOUT_MS: '2000', SECTIGO_CONNECT_TIMEOUT_MS: '1000', SHUTDOWN_GRACE_MS: '3000' }).warnings.join()).toMatch(
      /SHUTDOWN_GRACE_MS is below the longest time a call can stay in flight/
    )
  })

  it('refuses an idempotency retention shorter than the longest call plus 30 s, naming the variable', () => {
    expect(() => loadConfig({ IDEMPOTENCY_TTL_SECONDS: '60', SECTIGO_TIMEOUT_MS: '120000' })).toThrow(
      /^IDEMPOTENCY_TTL_SECONDS must be at least 191: the longest time one call can stay in flight \(160900 ms/
    )
    expect(loadConfig({ IDEMPOTENCY_TTL_SECONDS: '131' }).idempotency.ttlSeconds).toBe(131)
    expect(() => loadConfig({ IDEMPOTENCY_TTL_SECONDS: '130' })).toThrow(/IDEMPOTENCY_TTL_SECONDS must be at least 131/)
  })

  it('parses TRUST_PROXY as boolean, hop count or address list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1')
  })
})

describe('mode rule', () => {
  it('is live when SECTIGO_LOGIN_NAME is set', () => {
    expect(loadConfig(LIVE).mode).toBe('live')
  })

  it('honours an explicit SECTIGO_MODE, also in production', () => {
    expect(loadConfig({ ...LIVE, SECTIGO_MODE: 'sandbox' }).mode).toBe('sandbox')
    expect(loadConfig({ NODE_ENV: 'production', SECTIGO_MODE: 'sandbox' }).mode).toBe('sandbox')
  })

  it('refuses to guess sandbox in production', () => {
    expect(failure({ NODE_ENV: 'production' }).variable).toBe('SECTIGO_LOGIN_NAME')
  })

  it('requires the credentials in live mode', () => {
    expect(failure({ SECTIGO_MODE: 'live', ALLOW_UNAUTHENTICATED: 'true' }).variable).toBe('SECTIGO_LOGIN_NAME')
    expect(failure({ SECTIGO_LOGIN_NAME: 'acme', ALLOW_UNAUTHENTICATED: 'true' }).variable).toBe('SECTIGO_LOGIN_PASSWORD')
  })

  it('reports a login name without a password as that, before the missing API keys', () => {
    const error = failure({ SECTIGO_LOGIN_NAME: 'acme' })
    expect(error.issues.map((i) => i.variable)).toEqual(['SECTIGO_LOGIN_PASSWORD', 'API_KEYS'])
    expect(error.issues[0]?.problem).toMatch(/SECTIGO_LOGIN_NAME is set without a password/)
  })

  it('reports every bad variable at once, one line each', () => {
    const error = failure({ ...LIVE, PORT: 'x', LOG_LEVEL: 'loud', SECTIGO_TIMEOUT_MS: '-1', SECTIGO_BASE_URL: 'ftp://sectigo.test/', IDEMPOTENCY_STORE: 'redis', API_KEYS: 'nope' })
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['API_KEYS', 'IDEMPOTENCY_STORE', 'LOG_LEVEL', 'PORT', 'SECTIGO_BASE_URL', 'SECTIGO_TIMEOUT_MS'])
    const lines = error.message.split('\n')
    expect(lines).toHaveLength(6)
    for (const issue of error.issues) expect(lines).toContain(`${issue.variable} ${issue.problem}`)
  })

  it('refuses a password without a login name', () => {
    expect(failure({ SECTIGO_LOGIN_PASSWORD: SECRET }).variable).toBe('SECTIGO_LOGIN_PASSWORD')
  })

  it('refuses live mode without API keys unless ALLOW_UNAUTHENTICATED=true', () => {
    const { ALLOW_UNAUTHENTICATED: _, ...noOpenFlag } = LIVE
    expect(failure(noOpenFlag).variable).toBe('API_KEYS')
    expect(loadConfig({ ...noOpenFlag, API_KEYS: KEY_ENTRY }).apiKeys).toHaveLength(1)
  })

  it('ignores the SECTIGO_* URL and credentials in sandbox mode, with a warning', () => {
    const config = loadConfig({ SECTIGO_MODE: 'sandbox', SECTIGO_LOGIN_NAME: 'acme', SECTIGO_BASE_URL: 'https://x.test/' })
    expect(config.sectigo.loginName).toBe('')
    expect(config.warnings.join('\n')).toMatch(/sandbox mode ignores SECTIGO_BASE_URL, SECTIGO_LOGIN_NAME/)
  })
})

describe('secrets from files', () => {
  it('reads SECTIGO_LOGIN_PASSWORD_FILE, dropping one trailing newline only', () => {
    const path = tempFile(`${SECRET}\n\n`)
    const { SECTIGO_LOGIN_PASSWORD: _, ...rest } = LIVE
    expect(loadConfig({ ...rest, SECTIGO_LOGIN_PASSWORD_FILE: path }).sectigo.loginPassword).toBe(`${SECRET}\n`)
    const single = tempFile(`${SECRET}\r\n`)
    expect(loadConfig({ ...rest, SECTIGO_LOGIN_PASSWORD_FILE: single }).sectigo.loginPassword).toBe(SECRET)
  })

  it('reads API_KEYS_FILE', () => {
    const { ALLOW_UNAUTHENTICATED: _, ...rest } = LIVE
    expect(loadConfig({ ...rest, API_KEYS_FILE: tempFile(KEY_ENTRY) }).apiKeys[0]?.id).toBe('billing')
  })

  it('refuses a variable and its _FILE twin together', () => {
    const error = failure({ ...LIVE, SECTIGO_LOGIN_PASSWORD_FILE: tempFile(SECRET) })
    expect(error.variable).toBe('SECTIGO_LOGIN_PASSWORD')
    expect(error.message).toMatch(/SECTIGO_LOGIN_PASSWORD_FILE are both set/)
  })

  it('names the _FILE variable when its file cannot be read, without printing its content', () => {
    const { SECTIGO_LOGIN_PASSWORD: _, ...rest } = LIVE
    const error = failure({ ...rest, SECTIGO_LOGIN_PASSWORD_FILE: '/nonexistent/secret' })
    expect(error.variable).toBe('SECTIGO_LOGIN_PASSWORD_FILE')
    expect(error.message).toMatch(/ENOENT/)
  })

  it('checks a secret read from a file like the variable itself, without printing it', () => {
    const { SECTIGO_LOGIN_PASSWORD: _, ...rest } = LIVE
    const error = failure({ ...rest, SECTIGO_LOGIN_PASSWORD_FILE: tempFile(SECRET.repeat(10)) })
    expect(error.variable).toBe('SECTIGO_LOGIN_PASSWORD')
    expect(error.message).toMatch(/128/)
  })
})

describe('upstream URL rule', () => {
  it('adds a missing trailing slash', () => {
    expect(loadConfig({ ...LIVE, SECTIGO_BASE_URL: 'https://sectigo.test/products' }).sectigo.baseUrl).toBe(
      'https://sectigo.test/products/'
    )
  })

  it('refuses http: on a non-loopback host', () => {
    const error = failure({ ...LIVE, SECTIGO_BASE_URL: 'http://sectigo.test/products/' })
    expect(error.variable).toBe('SECTIGO_BASE_URL')
    expect(error.message).toMatch(/https/)
  })

  it.each(['http://localhost:8081/products/', 'http://127.0.0.9:8081/', 'http://[::1]:8081/'])(
    'allows http: on the loopback address %s',
    (url) => {
      expect(loadConfig({ ...LIVE, SECTIGO_BASE_URL: url }).warnings.filter((w) => !w.startsWith('the memory idempotency store'))).toEqual([])
    }
  )

  it('allows http: elsewhere with SECTIGO_ALLOW_INSECURE_UPSTREAM=true and warns', () => {
    const config = loadConfig({ ...LIVE, SECTIGO_BASE_URL: 'http://simulator:8081/products/', SECTIGO_ALLOW_INSECURE_UPSTREAM: 'true' })
    expect(config.sectigo.baseUrl).toBe('http://simulator:8081/products/')
    expect(config.warnings.join()).toMatch(/unencrypted to simulator:8081/)
  })

  it('refuses a URL that is not one, or that carries credentials', () => {
    expect(failure({ ...LIVE, SECTIGO_BASE_URL: 'not a url' }).message).toMatch(/not a valid URL/)
    expect(failure({ ...LIVE, SECTIGO_BASE_URL: `https://u:${SECRET}@sectigo.test/` }).message).toMatch(/credentials/)
  })

  it('knows its loopback addresses', () => {
    expect(['localhost', '127.0.0.1', '127.1.2.3', '[::1]', 'a.localhost'].every(isLoopback)).toBe(true)
    expect(['sectigo.com', '10.0.0.1', '::2', '128.0.0.1'].some(isLoopback)).toBe(false)
  })
})

describe('value checks', () => {
  it.each([
    ['PORT', 'abc', /integer/],
    ['PORT', '70000', /65535/],
    ['LOG_LEVEL', 'loud', /allowed values/],
    ['DOCS_ENABLED', 'yes', /boolean/],
    ['SECTIGO_TIMEOUT_MS', '-1', />= 100/],
    ['SECTIGO_MODE', 'staging', /allowed values/],
    ['IDEMPOTENCY_STORE', 'disk', /allowed values/],
    ['IDEMPOTENCY_MAX_ENTRIES', '0', />= 1/],
    ['IDEMPOTENCY_MAX_BYTES', '32MiB', /integer/],
    ['IDEMPOTENCY_MAX_BYTES', '65536', />= 1048576/],
    ['IDEMPOTENCY_MAX_BYTES', '8589934592', /<= 4294967296/],
    ['REDIS_URL', 'http://x', /redis/],
    ['PUBLIC_BASE_URL', 'ftp://x', /http/]
  ])('names %s when it is %s', (variable, value, problem) => {
    const error = failure({ [variable]: value })
    expect(error.variable).toBe(variable)
    expect(error.message).toMatch(problem)
  })

  it('refuses a connect timeout above the attempt timeout', () => {
    expect(failure({ SECTIGO_TIMEOUT_MS: '1000', SECTIGO_CONNECT_TIMEOUT_MS: '2000' }).variable).toBe('SECTIGO_CONNECT_TIMEOUT_MS')
  })

  it('bounds the memory idempotency store in bytes as IDEMPOTENCY_MAX_BYTES says', () => {
    expect(loadConfig({ IDEMPOTENCY_MAX_BYTES: '1048576' }).idempotency.maxBytes).toBe(1_048_576)
    expect(loadConfig({ IDEMPOTENCY_MAX_BYTES: '4294967296' }).idempotency.maxBytes).toBe(4_294_967_296)
  })

  it('warns that the redis idempotency store ignores the memory store\'s bounds when they are set', () => {
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379' }
    expect(loadConfig(redis).warnings.join('\n')).not.toMatch(/IDEMPOTENCY_MAX/)
    expect(loadConfig({ ...redis, IDEMPOTENCY_MAX_BYTES: '1048576', IDEMPOTENCY_MAX_ENTRIES: '10' }).warnings).toContain(
      "the redis idempotency store ignores IDEMPOTENCY_MAX_ENTRIES, IDEMPOTENCY_MAX_BYTES: they bound the memory store; Redis' own memory settings bound Redis"
    )
    expect(loadConfig({ IDEMPOTENCY_MAX_BYTES: '1048576' }).warnings.join('\n')).not.toMatch(/IDEMPOTENCY_MAX/)
  })

  it('refuses IDEMPOTENCY_STORE=redis without REDIS_URL', () => {
    expect(failure({ IDEMPOTENCY_STORE: 'redis' }).variable).toBe('IDEMPOTENCY_STORE')
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).idempotency.store).toBe('redis')
  })

  it.each([
    ['not json', /not valid JSON/],
    ['{}', /JSON array/],
    [JSON.stringify([{ id: 'x', sha256: 'short', scopes: [] }]), /sha256/],
    [JSON.stringify([{ id: 'x', sha256: 'a'.repeat(64), scopes: ['admin'] }]), /scopes/],
    [JSON.stringify([1, 2].map(() => ({ id: 'x', sha256: 'a'.repeat(64), scopes: [] }))), /twice/]
  ])('refuses API_KEYS %s', (value, problem) => {
    const error = failure({ API_KEYS: value })
    expect(error.variable).toBe('API_KEYS')
    expect(error.message).toMatch(problem)
  })
})

describe('startup with a bad configuration', () => {
  it('exits 1 with one line per bad variable and no secret', async () => {
    const run = promisify(execFile)
    const result = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH, ...LIVE, SECTIGO_BASE_URL: 'http://sectigo.test/', PORT: 'eighty' },
      timeout: 15_000
    }).then(
      () => ({ code: 0, stderr: '', stdout: '' }),
      (err: { code: number; stderr: string; stdout: string }) => err
    )
    expect(result.code).toBe(1)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines.map((l) => /^sectigo-proxy: configuration error: (\w+) /.exec(l)?.[1]).sort()).toEqual(['PORT', 'SECTIGO_BASE_URL'])
    expect(result.stderr + result.stdout).not.toContain(SECRET)
  })
})

describe('the memory idempotency store in live mode', () => {
  it('warns that keys do not survive a restart; with REDIS_URL it does not', () => {
    const live = { SECTIGO_LOGIN_NAME: 'a', SECTIGO_LOGIN_PASSWORD: 'secret-pw', ALLOW_UNAUTHENTICATED: 'true' }
    expect(loadConfig(live).warnings.join('\n')).toMatch(/memory idempotency store forgets every key when the process restarts/)
    expect(loadConfig({ ...live, REDIS_URL: 'redis://127.0.0.1:6379' }).warnings.join('\n')).not.toMatch(/memory idempotency store/)
  })
})
