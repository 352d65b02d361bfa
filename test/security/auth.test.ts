import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load-config.js'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'
import { expectCall } from '../helpers/upstream.js'

let t: TestApp
beforeEach(async () => {
  t = await buildTestApp({ API_KEYS: API_KEYS_ENV, ALLOW_UNAUTHENTICATED: 'false' })
})
afterEach(async () => {
  await t.app.close()
})

const dcv = (headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/orders/1/dcv', headers, payload: { method: 'CNAME_CSR_HASH' } })

describe('caller keys', () => {
  it('refuses a call without a key: 401 with WWW-Authenticate: Bearer, nothing sent', async () => {
    const res = await dcv()
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="sectigo-proxy"')
    expect(res.json()).toMatchObject({ type: '/problems/unauthorized', status: 401 })
    t.agent.assertNoPendingInterceptors()
  })

  it.each([
    ['an unknown key', 'Bearer spk_unknown'],
    ['another scheme', `Basic ${Buffer.from(`x:${KEYS.both}`).toString('base64')}`],
    ['an empty bearer', 'Bearer '],
    ['a key with a space', `Bearer ${KEYS.both} x`],
    ['a hash instead of the key', `Bearer ${createHash('sha256').update(KEYS.both).digest('hex')}`]
  ])('refuses %s with 401 invalid_token', async (_name, authorization) => {
    const res = await dcv({ authorization })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="sectigo-proxy", error="invalid_token"')
    expect(res.body).not.toContain(KEYS.both)
  })

  it('refuses a key without the route scope with 403, on both routes', async () => {
    const a = await dcv(bearer(KEYS.replacementOnly))
    expect(a.statusCode).toBe(403)
    expect(a.json()).toMatchObject({ type: '/problems/forbidden', detail: 'This API key lacks the scope dcv:write.' })
    const b = await t.app.inject({ method: 'POST', url: '/orders/1/replacement', headers: bearer(KEYS.dcvOnly), payload: {} })
    expect(b.statusCode).toBe(403)
  })

  it('lets a key with the scope through, and names the caller in the logs', async () => {
    expectCall(t, '!AutoUpdateDCV')
    const res = await dcv({ ...bearer(KEYS.dcvOnly), 'x-request-id': 'auth-ok' })
    expect(res.statusCode).toBe(200)
    const access = t.logs.records().find((r) => r.requestId === 'auth-ok' && r.msg === 'request completed')
    expect(access).toMatchObject({ caller: 'dcv-bot', statusCode: 200 })
    const upstream = t.logs.records().find((r) => r.requestId === 'auth-ok' && r.sectigo)
    expect(upstream?.caller).toBe('dcv-bot')
    expect(t.logs.text()).not.toContain(KEYS.dcvOnly)
  })

  it('accepts the scheme name in any case', async () => {
    expectCall(t, '!AutoUpdateDCV')
    expect((await dcv({ authorization: `bearer ${KEYS.both}` })).statusCode).toBe(200)
  })

  it('checks the key before reading the body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/1/dcv', payload: '{not json', headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(401)
  })

  it('leaves health, problem pages and unknown routes open', async () => {
    for (const url of ['/healthz', '/readyz', '/problems/forbidden']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(200)
    }
    expect((await t.app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404)
  })
})

describe('an open service', () => {
  it('calls everybody anonymous and ignores any Authorization header', async () => {
    const open = await buildTestApp()
    expectCall(open, '!AutoUpdateDCV')
    const res = await open.app.inject({ method: 'POST', url: '/orders/1/dcv', headers: { authorization: 'Bearer whatever', 'x-request-id': 'anon' }, payload: { method: 'CNAME_CSR_HASH' } })
    expect(res.statusCode).toBe(200)
    expect(open.logs.records().find((r) => r.requestId === 'anon' && r.msg === 'request completed')?.caller).toBe('anonymous')
    await open.app.close()
  })

  it('is refused in live mode without ALLOW_UNAUTHENTICATED, allowed in sandbox', () => {
    expect(() => loadConfig({ SECTIGO_LOGIN_NAME: 'a', SECTIGO_LOGIN_PASSWORD: 'b' })).toThrow(/API_KEYS/)
    expect(loadConfig({}).apiKeys).toEqual([])
  })

  it('enforces keys in sandbox mode too when they are configured', async () => {
    const { buildApp } = await import('../../src/app.js')
    const { captureLogs } = await import('../helpers/log-capture.js')
    const app = await buildApp(loadConfig({ API_KEYS: API_KEYS_ENV }), { logStream: captureLogs(), pressure: { maxEventLoopDelayMs: 60_000 } })
    const res = await app.inject({ method: 'POST', url: '/orders/1000001/dcv', payload: { method: 'CNAME_CSR_HASH' } })
    expect(res.statusCode).toBe(401)
    await app.close()
  })
})

describe('npm run create-api-key', () => {
  it('prints a random key and the API_KEYS entry that accepts it', async () => {
    const run = promisify(execFile)
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/create-api-key.ts', '--id', 'ci-app', '--scopes', 'dcv:write'])
    const key = /^key: (spk_[A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1]
    const entry = JSON.parse(/^entry: (.*)$/m.exec(stdout)?.[1] ?? '{}')
    expect(key).toBeDefined()
    expect(entry).toEqual({ id: 'ci-app', sha256: createHash('sha256').update(key ?? '').digest('hex'), scopes: ['dcv:write'] })
    const app = await buildTestApp({ API_KEYS: JSON.stringify([entry]), ALLOW_UNAUTHENTICATED: 'false' })
    expectCall(app, '!AutoUpdateDCV')
    const res = await app.app.inject({ method: 'POST', url: '/orders/1/dcv', headers: bearer(key ?? ''), payload: { method: 'CNAME_CSR_HASH' } })
    expect(res.statusCode).toBe(200)
    await app.app.close()
  })

  it('refuses an unknown scope', async () => {
    const run = promisify(execFile)
    const result = await run(process.execPath, ['--import', 'tsx', 'src/cli/create-api-key.ts', '--id', 'x', '--scopes', 'admin']).catch((e: { code: number; stderr: string }) => e)
    expect(result).toMatchObject({ code: 2 })
    expect((result as { stderr: string }).stderr).toMatch(/unknown scope admin/)
  })
})
