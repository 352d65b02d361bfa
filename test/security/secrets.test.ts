import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'

// The password comes from a file, as in production; it is full of characters that encoders change.
const PASSWORD = 'pw-from-file&x=1%2B+Ü"\\'
const FORMS = [PASSWORD, encodeURIComponent(PASSWORD), new URLSearchParams({ p: PASSWORD }).toString().slice(2), JSON.stringify(PASSWORD).slice(1, -1)]
const RAW_KEYS = Object.values(KEYS)

function passwordFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sectigo-proxy-secret-'))
  const path = join(dir, 'password')
  writeFileSync(path, `${PASSWORD}\n`)
  return path
}

describe('secrets never leave', () => {
  it('over the whole request matrix: no log line, problem body, header or error message holds the password or a key', async () => {
    const t = await buildTestApp({
      SECTIGO_LOGIN_PASSWORD: '',
      SECTIGO_LOGIN_PASSWORD_FILE: passwordFile(),
      API_KEYS: API_KEYS_ENV,
      ALLOW_UNAUTHENTICATED: 'false',
      LOG_LEVEL: 'trace',
      SECTIGO_TIMEOUT_MS: '200',
      SECTIGO_CONNECT_TIMEOUT_MS: '100',
      RATE_LIMIT_MAX: '100000'
    })
    expect(t.config.sectigo.loginPassword).toBe(PASSWORD)
    const seen: string[] = []
    const reply = (body: string) => ({ kind: 'reply' as const, body })
    const error = (code: string) => ({ kind: 'error' as const, code })
    const outcomes = [
      reply('errorCode=0&certificateStatus=Issued&replOrderNumber=1'),
      ...[-1, -2, -3, -4, -7, -14, -16, -17, -36, -42, -47, -90, -91, -110, -115, -126, -139, -160, -161, -162, -163, -999].map((code) =>
        reply(new URLSearchParams({ errorCode: String(code), errorMessage: `message ${code}`, errorItem: code === -4 ? 'loginPassword' : 'orderNumber' }).toString())
      ),
      reply(''),
      reply('<html>500</html>'),
      error('ECONNREFUSED'),
      error('ECONNRESET'),
      error('UND_ERR_SOCKET'),
      { kind: 'slow' as const }
    ]
    for (const [url, payload] of [
      ['/orders/1/dcv', { method: 'CNAME_CSR_HASH' }],
      ['/orders/2000001/replacement', { organization: { name: 'x' } }]
    ] as const) {
      const endpoint = url.endsWith('dcv') ? '!AutoUpdateDCV' : '!AutoReplaceMC'
      for (const outcome of outcomes) {
        const times = outcome.kind === 'error' && outcome.code === 'ECONNREFUSED' && endpoint === '!AutoUpdateDCV' ? 3 : 1
        for (let i = 0; i < times; i++) {
          const scope = t.upstream.intercept({ path: `/products/${endpoint}`, method: 'POST' })
          if (outcome.kind === 'reply') scope.reply(200, outcome.body)
          else if (outcome.kind === 'slow') scope.reply(200, 'errorCode=0').delay(1000)
          else {
            // An error whose message and cause carry the password, as a careless library might.
            const err = Object.assign(new Error(`failed sending loginPassword=${encodeURIComponent(PASSWORD)}`), {
              code: outcome.code,
              cause: new Error(`body: ${PASSWORD}`)
            })
            scope.replyWithError(err)
          }
        }
        const res = await t.app.inject({ method: 'POST', url, payload, headers: { ...bearer(KEYS.both), 'idempotency-key': `k-${seen.length}` } })
        seen.push(res.body, JSON.stringify(res.headers))
      }
      // Refused before any call: no key, a wrong key built from a real one, a key without scope, bad input, dry run.
      for (const headers of [{}, bearer(`${KEYS.both}x`), bearer(KEYS.replacementOnly), { authorization: `Basic ${KEYS.both}` }]) {
        const res = await t.app.inject({ method: 'POST', url, payload, headers })
        seen.push(res.body, JSON.stringify(res.headers))
      }
      for (const body of [{ bad: true }, '{broken']) {
        const res = await t.app.inject({ method: 'POST', url, payload: body as object, headers: { ...bearer(KEYS.both), 'content-type': 'application/json' } })
        seen.push(res.body)
      }
      const dry = await t.app.inject({ method: 'POST', url: `${url}?dryRun=true`, payload, headers: bearer(KEYS.both) })
      expect(dry.json().fields.loginPassword).toBe('[redacted]')
      seen.push(dry.body)
    }
    await t.app.inject({ method: 'GET', url: '/metrics' }).then((r) => seen.push(r.body))

    const everything = [...seen, t.logs.text()].join('\n')
    for (const form of FORMS) expect(everything).not.toContain(form)
    for (const key of RAW_KEYS) expect(everything).not.toContain(key)
    // The matrix did run: failures were logged with their codes, never their messages.
    const failures = t.logs.records().filter((r) => r.level === 'warn' && r.sectigo)
    expect(failures.map((r) => (r.sectigo as { code?: string }).code)).toEqual(expect.arrayContaining(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']))
    expect(t.logs.records().filter((r) => r.audit === true).length).toBeGreaterThan(60)
    await t.app.close()
  })

  it('config errors about secrets never quote them', async () => {
    const { loadConfig } = await import('../../src/config/load-config.js')
    for (const env of [
      { SECTIGO_LOGIN_NAME: 'a', SECTIGO_LOGIN_PASSWORD: PASSWORD.repeat(20), ALLOW_UNAUTHENTICATED: 'true' },
      { API_KEYS: `[{"id":"x","sha256":"${KEYS.both}","scopes":[]}]` },
      { API_KEYS: KEYS.both },
      { SECTIGO_LOGIN_PASSWORD: PASSWORD }
    ]) {
      let message = ''
      try {
        loadConfig(env)
      } catch (err) {
        message = (err as Error).message
      }
      expect(message).not.toBe('')
      for (const form of FORMS) expect(message).not.toContain(form)
      for (const key of RAW_KEYS) expect(message).not.toContain(key)
    }
  })
})
