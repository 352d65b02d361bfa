import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import openapiTS, { astToString } from 'openapi-typescript'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPENAPI_PATH, generateOpenApi } from '../scripts/openapi.js'
import { buildTestApp, type TestApp } from './helpers/test-app.js'

// The parts of an OpenAPI 3.1 document these tests read.
interface SchemaNode {
  $ref?: string
  type?: string
  description?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  anyOf?: SchemaNode[]
  'x-sectigo-field'?: string
  examples?: unknown[]
}
interface Media {
  schema: SchemaNode
  examples?: Record<string, { summary?: string; value: unknown }>
}
interface Response {
  description: string
  headers?: Record<string, unknown>
  content?: Record<string, Media>
}
interface Operation {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  security?: unknown
  requestBody?: { content: Record<string, Media> }
  responses: Record<string, Response>
}
interface Doc {
  openapi: string
  info: { version: string }
  tags: Array<{ name: string }>
  components: { schemas: Record<string, SchemaNode>; securitySchemes: Record<string, unknown> }
  paths: Record<string, Record<string, Operation>>
}

let generated: string
let doc: Doc
let t: TestApp

beforeAll(async () => {
  generated = await generateOpenApi()
  doc = JSON.parse(generated) as Doc
  t = await buildTestApp()
})
afterAll(async () => {
  await t.app.close()
})

const ORDER_OPERATIONS = [
  ['/orders/{orderNumber}/dcv', 'updateOrderDcv'],
  ['/base-orders/{baseOrderNumber}/dcv', 'updateBaseOrderDcv'],
  ['/orders/{orderNumber}/replacement', 'replaceMarkCertificate']
] as const

/** The routes of the DCV workflow: scoped like the order routes. */
const WORKFLOW_PATHS = [
  '/domains/{domainName}/dcv-email-addresses',
  '/orders/{orderNumber}/dcv/resend',
  '/base-orders/{baseOrderNumber}/dcv/resend',
  '/orders/{orderNumber}'
]

function resolve(schema: SchemaNode): SchemaNode {
  return schema.$ref ? (doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] ?? {}) : schema
}

function post(path: string): Operation {
  const op = doc.paths[path]?.post
  if (!op) throw new Error(`no POST ${path}`)
  return op
}

/** Every request member, recursively, with the path that reaches it. */
function members(schema: SchemaNode, path: string, seen = new Set<SchemaNode>()): Array<[string, SchemaNode]> {
  const s = resolve(schema)
  if (seen.has(s)) return []
  seen.add(s)
  const out: Array<[string, SchemaNode]> = []
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    out.push([`${path}/${name}`, prop])
    const inner = resolve(prop)
    if (inner.type === 'array' && inner.items) out.push(...members(inner.items, `${path}/${name}/*`, seen))
    else out.push(...members(inner, `${path}/${name}`, seen))
  }
  for (const branch of s.anyOf ?? []) out.push(...members(branch, path, seen))
  return out
}

describe('the committed OpenAPI document', () => {
  it('is exactly what the app generates (run `npm run openapi` after changing a route or schema)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(generated)
  })

  it('is the document served at /openapi.json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual(doc)
  })

  it('is OpenAPI 3.1 with the package version, tags and a bearer scheme', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info.version).toBe(pkg.version)
    expect(doc.tags.map((tag) => tag.name)).toEqual(['dcv', 'replacement', 'orders', 'problems', 'operations'])
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
  })

  it('gives every operation an id, a summary, a description and tags; bearer security on the order routes only', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.operationId, `${method} ${path}`).toBeTruthy()
        expect(op.summary, `${method} ${path}`).toBeTruthy()
        expect(op.description, `${method} ${path}`).toBeTruthy()
        expect(op.tags, `${method} ${path}`).toHaveLength(1)
        const isOrder = ORDER_OPERATIONS.some(([p]) => p === path) || WORKFLOW_PATHS.includes(path)
        expect(op.security, `${method} ${path}`).toEqual(isOrder ? [{ bearer: [] }] : undefined)
      }
    }
  })

  it.each(ORDER_OPERATIONS)('%s: one request example per body shape, and every problem response', (path, operationId) => {
    const op = post(path)
    expect(op.operationId).toBe(operationId)
    const examples = op.requestBody?.content['application/json']?.examples ?? {}
    const names = Object.keys(examples)
    if (operationId === 'replaceMarkCertificate') expect(names).toEqual(expect.arrayContaining(['original', 'vmc', 'cmc']))
    else expect(names).toEqual(expect.arrayContaining(['single', 'multi']))
    for (const example of Object.values(examples)) expect(example.summary).toBeTruthy()

    expect(op.responses['200']?.content?.['application/json']?.schema.anyOf).toHaveLength(2)
    for (const status of ['400', '401', '403', '422', '429', '500', '502', '503', '504']) {
      const response = op.responses[status]
      const media = response?.content?.['application/problem+json']
      expect(media?.schema, status).toEqual({ $ref: '#/components/schemas/ProblemDetails' })
      const slugs = Object.keys(media?.examples ?? {})
      expect(slugs.length, status).toBeGreaterThan(0)
      // Each slug of the status links to its problem page.
      for (const slug of slugs) expect(response?.description).toContain(`(/problems/${slug})`)
      expect(response?.headers?.['X-Request-Id']).toBeDefined()
    }
    expect(op.responses['503']?.headers?.['Retry-After']).toBeDefined()
    expect(op.responses['401']?.headers?.['WWW-Authenticate']).toBeDefined()
  })

  it('documents every request member with a description, an example and its upstream field', () => {
    const checked: string[] = []
    for (const [path] of ORDER_OPERATIONS) {
      const body = post(path).requestBody?.content['application/json']?.schema ?? {}
      for (const [where, member] of members(body, path)) {
        const m = resolve(member)
        expect(m.description ?? member.description, where).toBeTruthy()
        if (m.type !== 'object') {
          expect(m['x-sectigo-field'] ?? member['x-sectigo-field'], where).toBeTruthy()
          expect((m.examples ?? member.examples ?? []).length, `${where} has no example`).toBeGreaterThan(0)
        }
        checked.push(where)
      }
    }
    expect(checked).toContain('/orders/{orderNumber}/replacement/applicantRepresentative/organization/postalCode')
    expect(checked.length).toBeGreaterThan(60)
  })

  it('names its schemas under components', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['ProblemDetails', 'DcvRequest', 'DcvSingleRequest', 'DcvMultiRequest', 'ReplacementRequest', 'ReplacementResult', 'DcvInstruction'])
    )
  })

  it('is usable by a client generator: generated types compile against a typed call', async () => {
    const dir = join('test-output', 'openapi-client')
    mkdirSync(dir, { recursive: true })
    const ast = await openapiTS(new URL(`file://${OPENAPI_PATH}`))
    writeFileSync(join(dir, 'schema.d.ts'), astToString(ast))
    writeFileSync(
      join(dir, 'client.ts'),
      `import type { components, paths } from './schema.js'
type DcvBody = paths['/orders/{orderNumber}/dcv']['post']['requestBody']['content']['application/json']
type DcvOk = paths['/orders/{orderNumber}/dcv']['post']['responses'][200]['content']['application/json']
type Problem = components['schemas']['ProblemDetails']
export async function updateDcv(base: string, order: string, body: DcvBody, key: string): Promise<DcvOk | Problem> {
  const res = await fetch(\`\${base}/orders/\${order}/dcv\`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: \`Bearer \${key}\` },
    body: JSON.stringify(body)
  })
  return (await res.json()) as DcvOk | Problem
}
export const single: DcvBody = { method: 'EMAIL', domainName: 'www.example.com', email: 'admin@example.com' }
export const multi: DcvBody = { domains: [{ domainName: 'a.example.com', method: 'CNAME_CSR_HASH' }] }
type ReplacementBody = NonNullable<paths['/orders/{orderNumber}/replacement']['post']['requestBody']>['content']['application/json']
export const vmc: ReplacementBody = { dcvMethod: 'CNAME_CSR_HASH', organization: { country: 'US' }, updateOrgDetails: true }
export const problemType = (p: Problem): string => p.type + p.status
// @ts-expect-error an unknown method must not type-check
export const wrong: DcvBody = { method: 'DNS' }
`
    )
    const program = ts.createProgram([join(dir, 'client.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      skipLibCheck: true
    })
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    expect(diagnostics).toEqual([])
  })
})

describe('documentation routes', () => {
  it('serve Swagger UI at /docs, with the document and persisted authorization', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    const init = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
    expect(init.body).toContain('"url":"/openapi.json"')
    expect(init.body).toContain('"persistAuthorization":true')
    expect(init.body).toContain('"validatorUrl":null')
  })

  it('serve Swagger UI under a policy that keeps plain-HTTP deployments working and calls nowhere else', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' })
    const csp = String(page.headers['content-security-policy'])
    expect(csp).not.toMatch(/upgrade-insecure-requests/)
    expect(csp).not.toMatch(/https:|validator\.swagger\.io/)
    expect(csp).toMatch(/connect-src 'self'/)
  })

  it('are hidden with DOCS_ENABLED=false', async () => {
    const closed = await buildTestApp({ DOCS_ENABLED: 'false' })
    for (const url of ['/docs', '/docs/', '/openapi.json']) {
      expect((await closed.app.inject({ method: 'GET', url })).statusCode, url).toBe(404)
    }
    await closed.app.close()
  })
})
