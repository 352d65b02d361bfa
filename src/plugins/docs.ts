import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { SERVICE_DESCRIPTION, SERVICE_NAME, SERVICE_VERSION } from '../meta.js'
import { BASE_DCV_REQUEST_EXAMPLES, DCV_PARAMETER_EXAMPLES, DCV_REQUEST_EXAMPLES } from '../schemas/dcv.js'
import { RESEND_REQUEST_EXAMPLES } from '../schemas/dcv-workflow.js'
import { REPLACEMENT_REQUEST_EXAMPLES } from '../schemas/replacement.js'

/**
 * Swagger UI's policy. Not the plugin's default: it upgrades requests to https, which breaks
 * "Try it out" where the service is reached over plain HTTP inside a network, and it allows the
 * public validator badge. Swagger UI sets inline styles, hence 'unsafe-inline' for styles only.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "font-src 'self' data:",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'"
].join('; ')

type Examples = Record<string, { summary: string; value: unknown }>

/** Named request examples per operation: one per body shape, selectable in Swagger UI. */
const REQUEST_EXAMPLES: Record<string, Examples> = {
  updateOrderDcv: DCV_REQUEST_EXAMPLES,
  updateBaseOrderDcv: BASE_DCV_REQUEST_EXAMPLES,
  replaceMarkCertificate: REPLACEMENT_REQUEST_EXAMPLES,
  resendOrderDcvEmail: RESEND_REQUEST_EXAMPLES,
  resendBaseOrderDcvEmail: RESEND_REQUEST_EXAMPLES
}

/** Operations whose body may be left out entirely (no body is the empty object). */
const OPTIONAL_BODY = new Set(['replaceMarkCertificate'])

/** The two DCV body shapes, by the title Swagger UI shows for each branch of the union. */
const UNION_TITLES: Record<string, string> = {
  '#/components/schemas/DcvSingleRequest': 'Single domain (method)',
  '#/components/schemas/DcvMultiRequest': 'Several domains (domains)'
}

type Parameter = { in?: string; name?: string; example?: unknown; examples?: Examples }
type Operation = {
  operationId?: string
  parameters?: Parameter[]
  requestBody?: { required?: boolean; content?: Record<string, { examples?: Examples }> }
}
type Document = { paths?: object; components?: { schemas?: Record<string, { title?: string; anyOf?: Array<{ $ref?: string; title?: string }> }> } }

// @fastify/swagger drops keywords beside a body's $ref, marks every body required, and turns a
// parameter's examples into one `example`: the examples, the optional body and the union's
// titles are set here.
function withRequestExamples<T extends { paths?: object; components?: object }>(input: T): T {
  const document = input as Document
  for (const item of Object.values(document.paths ?? {}) as Array<Record<string, Operation>>) {
    for (const operation of Object.values(item)) {
      const id = operation.operationId ?? ''
      const examples = REQUEST_EXAMPLES[id]
      const media = operation.requestBody?.content?.['application/json']
      if (examples && media) media.examples = examples
      if (operation.requestBody && OPTIONAL_BODY.has(id)) operation.requestBody.required = false
      for (const parameter of operation.parameters ?? []) {
        const named = parameter.in === 'path' ? (DCV_PARAMETER_EXAMPLES as Record<string, Examples>)[parameter.name ?? ''] : undefined
        if (!named || !id.endsWith('Dcv')) continue
        delete parameter.example
        parameter.examples = named
      }
    }
  }
  const union = document.components?.schemas?.DcvRequest
  if (union) {
    union.title = 'DCV request: one domain or several'
    for (const branch of union.anyOf ?? []) if (branch.$ref && UNION_TITLES[branch.$ref]) branch.title = UNION_TITLES[branch.$ref]
  }
  return input
}

const DESCRIPTION = `${SERVICE_DESCRIPTION}.

Internal applications call this JSON API; the service turns each call into Sectigo's legacy form post with the account's credentials, which callers never see, and answers every failure as \`application/problem+json\` (RFC 9457). Each problem \`type\` links to a page under \`/problems/{slug}\` that explains it and names the Sectigo codes behind it.

* **Authentication:** \`Authorization: Bearer <key>\` on the order routes, when the operators configured keys (sandbox mode without keys is open).
* **Idempotency:** send \`Idempotency-Key\` on the order routes to retry safely; a replacement can cost money and is never sent twice.
* **Dry run:** \`?dryRun=true\` answers with the exact form fields that would be sent, without calling Sectigo.
* **Sandbox:** without credentials the service answers from a built-in Sectigo simulator; see the README for the seeded orders (for example \`1000001\` for DCV, \`2000001\` for a replacement).`

// Proprietary code: no SPDX list entry, so an SPDX LicenseRef (the image's label says the same).
export const LICENSE = { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' }

export const TAGS = [
  {
    name: 'dcv',
    description:
      "Domain control validation: accepted e-mail addresses, methods, resending the e-mail and per-domain status (Sectigo's `!GetDCVEmailAddressList`, `!AutoUpdateDCV`, `!ResendDCVEmail`, `!GetMDCDomainDetails`)."
  },
  { name: 'replacement', description: "Replacement of VMC and CMC mark certificates (Sectigo's `!AutoReplaceMC`)." },
  { name: 'orders', description: "Order status, validity and replacement orders (Sectigo's `!GetDetailedOrderStatus`)." },
  { name: 'problems', description: 'Documentation of every problem type the service answers with.' },
  { name: 'operations', description: 'Health, readiness and metrics.' }
]

/**
 * The OpenAPI 3.1 document, generated from the routes' TypeBox schemas; named schemas become
 * components under their `$id`. With `docsEnabled`, also `GET /openapi.json` and Swagger UI at `/docs`.
 */
export const docs = fp(
  async (app: FastifyInstance, opts: { docsEnabled: boolean }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: SERVICE_NAME, version: SERVICE_VERSION, description: DESCRIPTION, license: LICENSE },
        servers: [{ url: '/', description: 'This service' }],
        tags: TAGS,
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description: 'An API key from the operators (`npm run create-api-key`), with the scope the route names.'
            }
          }
        }
      },
      // Components are named after the schemas' $id, so generated clients get readable types.
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `schema${i}`) },
      transformObject: (input) => ('openapiObject' in input ? withRequestExamples(input.openapiObject) : input.swaggerObject)
    })
    if (!opts.docsEnabled) return

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: {
        persistAuthorization: true,
        deepLinking: true,
        displayRequestDuration: true,
        defaultModelsExpandDepth: 0,
        docExpansion: 'list',
        url: '/openapi.json',
        // No call to the public validator service.
        validatorUrl: null
      },
      staticCSP: true,
      transformStaticCSP: () => DOCS_CSP
    })
  },
  { name: 'docs', fastify: '5.x' }
)
