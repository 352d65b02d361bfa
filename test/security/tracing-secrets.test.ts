import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { describe, expect, it } from 'vitest'
import { API_KEYS_ENV, KEYS, bearer } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'

// The same matrix as secrets.test.ts, with tracing on: what goes into spans is checked as well.
const PASSWORD = 'pw-from-file&x=1%2B+Ü"\\'
const FORMS = [PASSWORD, encodeURIComponent(PASSWORD), new URLSearchParams({ p: PASSWORD }).toString().slice(2), JSON.stringify(PASSWORD).slice(1, -1)]
const RAW_KEYS = Object.values(KEYS)
const OTLP_KEY = 'otlp-backend-key-5f0e1d2c3b4a'

function passwordFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sectigo-proxy-secret-'))
  const path = join(dir, 'password')
  writeFileSync(path, `${PASSWORD}\n`)
  return path
}

/** Everything a span carries to a backend. */
function exported(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    status: span.status,
    events: span.events,
    links: span.links,
    resource: span.resource.attributes
  })
}

describe('secrets never leave through traces', () => {
  it('over the whole request matrix: no span name, attribute, status, event or resource holds the password, a key or the OTLP header', async () => {
    const exporter = new InMemorySpanExporter()
    const t = await buildTestApp(
      {
        SECTIGO_LOGIN_PASSWORD: '',
        SECTIGO_LOGIN_PASSWORD_FILE: passwordFile(),
        API_KEYS: API_KEYS_ENV,
        ALLOW_UNAUTHENTICATED: 'false',
        LOG_LEVEL: 'trace',
        SECTIGO_TIMEOUT_MS: '200',
        SECTIGO_CONNECT_TIMEOUT_MS: '100',
        RATE_LIMIT_MAX: '100000',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${OTLP_KEY}`
      },
      { spanExporter: exporter }
    )
    expect(t.config.sectigo.loginPassword).toBe(PASSWORD)
    const seen: string[] = []
    const queryRequests = new Set<string>()
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
      for (const headers of [{}, bearer(`${KEYS.both}x`), bearer(KEYS.replacementOnly), { authorization: `Basic ${KEYS.both}` }]) {
        const res = await t.app.inject({ method: 'POST', url, payload, headers })
        seen.push(res.body, JSON.stringify(res.headers))
      }
      for (const body of [{ bad: true }, '{broken', { method: KEYS.both, domainName: PASSWORD }]) {
        const res = await t.app.inject({ method: 'POST', url, payload: body as object, headers: { ...bearer(KEYS.both), 'content-type': 'application/json' } })
        seen.push(res.body)
      }
      // A key in the query string (where it does not belong) stays out of url.path. (The access log
      // line quotes the URL as sent: those lines are left out of the check below.)
      const query = await t.app.inject({ method: 'POST', url: `${url}?dryRun=true&key=${KEYS.both}`, payload, headers: bearer(KEYS.both) })
      queryRequests.add(String(query.headers['x-request-id']))
      seen.push(query.body)
      const dry = await t.app.inject({ method: 'POST', url: `${url}?dryRun=true`, payload, headers: bearer(KEYS.both) })
      expect(dry.json().fields.loginPassword).toBe('[redacted]')
      seen.push(dry.body)
    }
    // Read before closing: shutting the provider down empties the in-memory exporter.
    const spans = [...exporter.getFinishedSpans()]
    await t.app.close()
    // The matrix did run through the tracer: server spans for every request, attempt spans for the calls.
    expect(spans.filter((s) => s.name.startsWith('POST /orders/')).length).toBeGreaterThan(70)
    expect(new Set(spans.map((s) => s.attributes['sectigo.outcome']))).toEqual(new Set([undefined, 'answered', 'not-sent', 'unknown', 'timed-out']))
    const logs = t.logs.lines.filter((line) => ![...queryRequests].some((id) => line.includes(id)))
    const everything = [...seen, ...spans.map(exported), ...logs].join('\n')
    expect(spans.filter((s) => queryRequests.has(String(s.attributes['sectigo_proxy.request_id'])))).toHaveLength(2)
    for (const form of FORMS) expect(everything).not.toContain(form)
    for (const key of RAW_KEYS) expect(everything).not.toContain(key)
    expect(everything).not.toContain(OTLP_KEY)
    // No span carries a request or response body, header or query.
    for (const span of spans) {
      for (const name of Object.keys(span.attributes)) expect(name).not.toMatch(/body|header|query|password|authorization|url\.full/i)
    }
  })
})
