import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { BASE_DCV_REQUEST_EXAMPLES, DCV_PARAMETER_EXAMPLES, DCV_REQUEST_EXAMPLES } from '../../src/schemas/dcv.js'
import { RESEND_REQUEST_EXAMPLES } from '../../src/schemas/dcv-workflow.js'
import { REPLACEMENT_REQUEST_EXAMPLES } from '../../src/schemas/replacement.js'
import { captureLogs } from '../helpers/log-capture.js'

// Each request example in the OpenAPI document names the sandbox order it works with; a summary
// starting with "Fails" promises a problem. Swagger UI users rely on both, and on the path
// parameter's examples offering exactly those orders. Every curl command of the README is run too,
// against a sandbox server, and must answer what the comment below it says.
let app: App
let origin: string
beforeAll(async () => {
  app = await buildApp(loadConfig({ LOG_LEVEL: 'warn' }), { logStream: captureLogs(), pressure: { maxEventLoopDelayMs: 60_000 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await app.close()
})

type Example = { summary: string; value: unknown }
const ROUTES = [
  { operationId: 'updateOrderDcv', path: (n: string) => `/orders/${n}/dcv`, parameter: 'orderNumber', examples: DCV_REQUEST_EXAMPLES as Record<string, Example> },
  { operationId: 'updateBaseOrderDcv', path: (n: string) => `/base-orders/${n}/dcv`, parameter: 'baseOrderNumber', examples: BASE_DCV_REQUEST_EXAMPLES as Record<string, Example> },
  { operationId: 'replaceMarkCertificate', path: (n: string) => `/orders/${n}/replacement`, parameter: 'orderNumber', examples: REPLACEMENT_REQUEST_EXAMPLES as Record<string, Example> },
  { operationId: 'resendOrderDcvEmail', path: (n: string) => `/orders/${n}/dcv/resend`, parameter: 'orderNumber', examples: RESEND_REQUEST_EXAMPLES as Record<string, Example> }
]

const cases = ROUTES.flatMap((route) => Object.entries(route.examples).map(([name, example]) => [route.operationId, name, example, route] as const))

describe('documented request examples against the sandbox', () => {
  it.each(cases)('%s example %s does what its summary says', async (_id, _name, example, route) => {
    const order = /order (\d+)\)/.exec(example.summary)?.[1]
    expect(order, 'the summary names a sandbox order').toBeDefined()
    const res = await app.inject({ method: 'POST', url: route.path(order ?? ''), payload: example.value as object })
    if (example.summary.startsWith('Fails')) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400)
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    } else {
      expect(res.statusCode, res.body).toBe(200)
      if (/DCV instructions/.test(example.summary)) expect(res.json().dcvInstructions.length).toBeGreaterThan(0)
    }
  })

  it.each(ROUTES.slice(0, 2))('$operationId: the path parameter offers exactly the orders its body examples name, the first one prefilled', async (route) => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const operation = Object.values(document.paths as Record<string, Record<string, { operationId: string; parameters: Array<{ name: string; examples?: Record<string, { value: string }> }> }>>)
      .flatMap((item) => Object.values(item))
      .find((op) => op.operationId === route.operationId)
    const offered = Object.values(operation?.parameters.find((p) => p.name === route.parameter)?.examples ?? {}).map((e) => e.value)
    const named = [...new Set(Object.values(route.examples).map((e) => /order (\d+)\)/.exec(e.summary)?.[1]))]
    expect(offered).toEqual(named)
    expect(offered).toEqual(Object.keys((DCV_PARAMETER_EXAMPLES as Record<string, object>)[route.parameter] ?? {}))
  })
})

/** Each curl command of the README's sh/bash blocks, with the variable assignments before it. */
interface CurlCase {
  block: number
  preamble: string[]
  command: string
  expected: string
}

function readmeCurls(): CurlCase[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const out: CurlCase[] = []
  const blocks = [...readme.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  blocks.forEach((block, index) => {
    const lines = block.split('\n')
    const preamble: string[] = []
    for (let i = 0; i < lines.length; i++) {
      let command = lines[i] ?? ''
      // Continuation lines and quotes left open, then a heredoc's body.
      const open = (text: string) => text.endsWith('\\') || (text.match(/'/g)?.length ?? 0) % 2 === 1
      while (open(command) && i + 1 < lines.length) command += `\n${lines[++i]}`
      const heredoc = /<<'?(\w+)'?/.exec(command)?.[1]
      if (heredoc) {
        do command += `\n${lines[++i]}`
        while (i + 1 < lines.length && lines[i] !== heredoc)
      }
      if (/^[A-Z_]+=\$\(/.test(command)) preamble.push(command)
      if (!command.startsWith('curl ')) continue
      const expected = lines[i + 1] ?? ''
      out.push({ block: index, preamble: [...preamble], command, expected })
    }
  })
  return out
}

/** The status a curl command's comment promises: a problem's "status", `# NNN`, or 200 for a JSON answer. */
function expectedStatus(comment: string): number | undefined {
  const status = /"status":\s*(\d{3})/.exec(comment)?.[1] ?? /^#\s*(\d{3})\b/.exec(comment)?.[1]
  if (status) return Number(status)
  return /^#\s*\{/.test(comment) ? 200 : undefined
}

const curls = readmeCurls()

describe('README curl commands work as pasted against the sandbox', () => {
  it('finds them', () => {
    expect(curls.length).toBeGreaterThanOrEqual(8)
  })

  it.each(curls.map((c) => [c.command.split('\n')[0] ?? '', c] as const))('%s', { timeout: 30_000 }, async (_first, curl) => {
    const status = expectedStatus(curl.expected)
    expect(status, `the line after the command says what it answers: ${curl.expected}`).toBeDefined()
    const script = [
      'set -e',
      // Only the answer's status is read; the body is compared when the comment shows a type.
      'curl() { command curl -o "$BODY_FILE" -w "%{http_code}" "$@"; }',
      ...curl.preamble,
      curl.command
    ]
      .join('\n')
      .replaceAll('http://127.0.0.1:3000', origin)
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/readme-curl-'))
    const bodyFile = `${dir}/body`
    const { stdout } = await promisify(execFile)('bash', ['-c', script], {
      env: { PATH: process.env.PATH, KEY: 'spk_readme-example-key', BODY_FILE: bodyFile },
      timeout: 20_000
    })
    const body = readFileSync(bodyFile, 'utf8')
    expect(Number(stdout.trim()), body).toBe(status)
    const type = /"type":\s*"([^"]+)"/.exec(curl.expected)?.[1]
    if (type) expect(JSON.parse(body).type).toBe(type)
  })
})

// The read routes' parameter examples are what Swagger UI prefills: each answers 200 in the sandbox.
describe('documented parameter examples of the read routes', () => {
  it.each(['/domains/www.example.com/dcv-email-addresses', '/domains/brand.example/dcv-email-addresses?product=VMC', '/orders/1000007/dcv', '/orders/2000001'])(
    'GET %s',
    async (url) => {
      const res = await app.inject({ method: 'GET', url })
      expect(res.statusCode, res.body).toBe(200)
    }
  )
})
