import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { DecodedCsr } from '../csr/decode-csr.js'
import type { ProblemSlug } from '../problems/problem-types.js'
import { DryRunQuery, DryRunResult, OrderHeaders, OrderNumberParam } from '../schemas/common.js'
import { ReplacementRequest, ReplacementResult, type DcvInstruction } from '../schemas/replacement.js'
import { ORDER_ROUTE_PROBLEMS, RATE_LIMIT_HEADERS, orderSuccess, problemResponses } from '../schemas/problem.js'
import { dcvInstruction } from '../sectigo/dcv-instructions.js'
import { assertFieldLengths } from '../sectigo/field-lengths.js'
import { replacementForm, replacementOwnerOverrides } from '../sectigo/replacement-form.js'
import { replacementFacts } from '../sectigo/replacement-reply.js'
import { callSectigo } from '../sectigo/sectigo-plugin.js'
import { checkReplacementRequest } from '../validation/replacement-rules.js'

const ENDPOINT = '!AutoReplaceMC'

/** Every problem this route can answer with. */
export const REPLACEMENT_PROBLEMS: readonly ProblemSlug[] = [
  ...ORDER_ROUTE_PROBLEMS,
  'certificate-expired',
  'invalid-csr',
  'csr-domain-mismatch',
  'no-price-found',
  'parameter-not-applicable'
]

/** Per CSR-hash domain, what to publish: only when the request carried the CSR being hashed. */
function instructionsFor(body: ReplacementRequest, csr: DecodedCsr | undefined): DcvInstruction[] {
  if (!csr) return []
  const out: DcvInstruction[] = []
  for (const { domainName, method } of body.domains ?? []) {
    const chosen = body.dcvMethod ?? method
    if (chosen === undefined || chosen === 'EMAIL') continue
    out.push({ domainName, ...dcvInstruction(domainName, chosen, csr.der) })
  }
  return out
}

export const replacementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/orders/:orderNumber/replacement',
    {
      config: { scope: 'replacement:write', endpoint: ENDPOINT },
      // "No body at all" (also an empty JSON body) is the empty object; a present body must be one.
      preValidation: (request, _reply, done) => {
        if (request.body === undefined) request.body = {}
        done()
      },
      schema: {
        tags: ['replacement'],
        operationId: 'replaceMarkCertificate',
        summary: 'Replace a VMC or CMC certificate (AutoReplaceMC)',
        description:
          "Replaces a Verified Mark or Common Mark certificate through Sectigo's `!AutoReplaceMC`. Every member is optional: " +
          'the empty object replaces the order with its original CSR and data. A `csr` is decoded and checked against `domains` ' +
          'before the call, then forwarded as sent; with CSR-hash DCV, the answer says what to publish for each domain. ' +
          'A replacement can cost money: it is never sent twice by the service; use an `Idempotency-Key` to retry safely.',
        params: OrderNumberParam('orderNumber', 'The order number of the mark certificate to replace.', '2000001'),
        security: [{ bearer: [] }],
        querystring: DryRunQuery,
        headers: OrderHeaders,
        body: Type.Ref(ReplacementRequest),
        response: {
          200: orderSuccess(
            'Sectigo created the replacement (or, with `?dryRun=true`, the fields that would be sent).',
            Type.Union([Type.Ref(ReplacementResult), Type.Ref(DryRunResult)])
          ),
          ...problemResponses(REPLACEMENT_PROBLEMS, '/orders/2000001/replacement', RATE_LIMIT_HEADERS)
        }
      }
    },
    async (request) => {
      const { orderNumber } = request.params as { orderNumber: string }
      const body = request.body as ReplacementRequest
      const { csr } = checkReplacementRequest(body)
      const fields = replacementForm(orderNumber, body)
      const overrides = replacementOwnerOverrides(body)
      assertFieldLengths(ENDPOINT, fields, overrides)
      if (request.query.dryRun === 'true') {
        return { dryRun: true as const, endpoint: ENDPOINT, fields: app.sectigo.preview(fields) }
      }
      const reply = await callSectigo(request, ENDPOINT, fields, overrides)
      const instructions = instructionsFor(body, csr)
      return {
        orderNumber,
        ...replacementFacts(reply),
        ...(instructions.length > 0 ? { dcvInstructions: instructions } : {})
      }
    }
  )
}
