import { describe, expect, it } from 'vitest'
import { LOGIN_PASSWORD, buildTestApp } from './helpers/test-app.js'
import { expectCall } from './helpers/upstream.js'

/** Every form the password could take in a log line or a body. */
const FORMS = [LOGIN_PASSWORD, encodeURIComponent(LOGIN_PASSWORD), JSON.stringify(LOGIN_PASSWORD).slice(1, -1), 'S3cr3t']

function expectNoSecret(text: string) {
  for (const form of FORMS) expect(text).not.toContain(form)
}

describe('logs', () => {
  it('never hold the Sectigo password or a bearer key, over a whole request matrix at debug level', async () => {
    const t = await buildTestApp({ LOG_LEVEL: 'trace' })
    const bodies: string[] = []
    const headers = { authorization: 'Bearer sk_live_do-not-log-me', 'x-request-id': 'matrix' }
    const call = (url: string, payload?: object) =>
      t.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) }).then((r) => bodies.push(r.body))

    expectCall(t, '!AutoUpdateDCV')
    await call('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expectCall(t, '!AutoUpdateDCV', 'errorCode=-16&errorMessage=Incorrect+login+details')
    await call('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    expectCall(t, '!AutoReplaceMC', 'errorCode=-4&errorItem=loginPassword&errorMessage=The+value+of+the+%27loginPassword%27+argument+is+invalid%21')
    await call('/orders/1/replacement', {})
    expectCall(t, '!AutoReplaceMC', { status: 500, body: `<html>${LOGIN_PASSWORD}</html>` })
    await call('/orders/1/replacement', {})
    t.upstream.intercept({ path: '/products/!AutoReplaceMC', method: 'POST' }).replyWithError(Object.assign(new Error(`boom ${LOGIN_PASSWORD}`), { code: 'ECONNRESET' }))
    await call('/orders/1/replacement', {})
    for (let i = 0; i < 3; i++) {
      t.upstream.intercept({ path: '/products/!AutoUpdateDCV', method: 'POST' }).replyWithError(Object.assign(new Error(`refused ${LOGIN_PASSWORD}`), { code: 'ECONNREFUSED' }))
    }
    await call('/orders/1/dcv', { method: 'CNAME_CSR_HASH' })
    await call('/orders/1/dcv?dryRun=true', { method: 'CNAME_CSR_HASH' })
    await call('/orders/1/replacement?dryRun=true', {})
    await call('/orders/1/dcv', { method: 'EMAIL' })
    await call('/nowhere')

    // One access line per request.
    expect(t.logs.records().filter((r) => r.msg === 'request completed')).toHaveLength(10)
    expectNoSecret(t.logs.text())
    expect(t.logs.text()).not.toContain('sk_live_do-not-log-me')
    for (const body of bodies) expectNoSecret(body)
    expect(bodies).toHaveLength(10)
    // The Sectigo call rides on its request's line: six requests called Sectigo, in eight attempts.
    const calls = t.logs.records().filter((r) => r.sectigo).map((r) => r.sectigo as { attempts: number })
    expect(calls).toHaveLength(6)
    expect(calls.reduce((sum, call) => sum + call.attempts, 0)).toBe(8)
    await t.app.close()
  })

  it('scrub a secret from any line, whoever logs it', async () => {
    const t = await buildTestApp()
    t.app.log.error({ err: new Error(`failed with ${LOGIN_PASSWORD}`), form: `loginPassword=${encodeURIComponent(LOGIN_PASSWORD)}` }, `msg ${LOGIN_PASSWORD}`)
    const line = t.logs.lines.at(-1) ?? ''
    expectNoSecret(line)
    expect(line.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(3)
    await t.app.close()
  })

  it('redact credential paths', async () => {
    const t = await buildTestApp()
    t.app.log.info({ req: { headers: { authorization: 'Bearer abc123xyz' } }, fields: { loginPassword: 'other-secret-value' } }, 'x')
    const line = t.logs.lines.at(-1) ?? ''
    expect(line).not.toContain('abc123xyz')
    expect(line).not.toContain('other-secret-value')
    await t.app.close()
  })
})
