import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { DryRunQuery, DryRunResult, OrderHeaders, OrderNumberParam } from '../schemas/common.js'
import { DcvRequest, DcvResult, type DcvRequest as DcvBody } from '../schemas/dcv.js'
import { ORDER_ROUTE_PROBLEMS, RATE_LIMIT_HEADERS, orderSuccess, problemResponses } from '../schemas/problem.js'
import { dcvForm, dcvOwnerOverrides, dcvResult, type DcvTarget } from '../sectigo/dcv-form.js'
import { assertFieldLengths } from '../sectigo/field-lengths.js'
import { callSectigo } from '../sectigo/sectigo-plugin.js'
import type { ProblemSlug } from '../problems/problem-types.js'
import { checkDcvBodyShape, checkDcvRequest } from '../validation/dcv-rules.js'

const ENDPOINT = '!AutoUpdateDCV'

/** Every problem these routes can answer with. */
export const DCV_PROBLEMS: readonly ProblemSlug[] = [
  ...ORDER_ROUTE_PROBLEMS,
  'domain-already-validated',
  'unexpected-certificate-state',
  'wildcard-http-dcv-not-allowed'
]

const ROUTES: ReadonlyArray<{ target: DcvTarget['kind']; url: string; summary: string; description: string }> = [
  {
    target: 'orderNumber',
    url: '/orders/:orderNumber/dcv',
    summary: 'Change the DCV method of an order (AutoUpdateDCV)',
    description:
      "Changes how Sectigo validates control of one or more domains of an order, through Sectigo's `!AutoUpdateDCV`. " +
      'Send either one domain (`method`, optional `domainName`, `email` for EMAIL) or several (`domains`). ' +
      'Retried only when the connection to Sectigo failed before anything was sent.'
  },
  {
    target: 'baseOrderNumber',
    url: '/base-orders/:baseOrderNumber/dcv',
    summary: 'Change the DCV method of an order found by its base order number (AutoUpdateDCV)',
    description:
      'The same as `POST /orders/{orderNumber}/dcv`, with the order named by the base order number previously returned to the account (sent as `baseOrderNumber`).'
  }
]

export const dcvRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const route of ROUTES) {
    app.post(
      route.url,
      {
        config: { scope: 'dcv:write', endpoint: ENDPOINT },
        // Synchronous, as every hook of the order routes that awaits nothing.
        preValidation: (request, _reply, done) => {
          try {
            checkDcvBodyShape(request.body)
          } catch (err) {
            return done(err as Error)
          }
          done()
        },
        schema: {
          tags: ['dcv'],
          operationId: route.target === 'orderNumber' ? 'updateOrderDcv' : 'updateBaseOrderDcv',
          summary: route.summary,
          description: route.description,
          params:
            route.target === 'orderNumber'
              ? OrderNumberParam('orderNumber', 'The Sectigo order number.', '1000001')
              : OrderNumberParam('baseOrderNumber', 'The base order number previously returned to the account.', '5000001'),
          security: [{ bearer: [] }],
          querystring: DryRunQuery,
          headers: OrderHeaders,
          body: Type.Ref(DcvRequest),
          response: {
            200: orderSuccess(
              'Sectigo accepted the change (or, with `?dryRun=true`, the fields that would be sent).',
              Type.Union([Type.Ref(DcvResult), Type.Ref(DryRunResult)])
            ),
            ...problemResponses(DCV_PROBLEMS, `/${route.target === 'orderNumber' ? 'orders' : 'base-orders'}/1234567/dcv`, RATE_LIMIT_HEADERS)
          }
        }
      },
      async (request) => {
        const params = request.params as Record<string, string>
        const target: DcvTarget = { kind: route.target, value: params[route.target] ?? '' }
        const body = request.body as DcvBody
        checkDcvRequest(body)
        const fields = dcvForm(target, body)
        const overrides = dcvOwnerOverrides(target)
        assertFieldLengths(ENDPOINT, fields, overrides)
        if (request.query.dryRun === 'true') {
          return { dryRun: true as const, endpoint: ENDPOINT, fields: app.sectigo.preview(fields) }
        }
        await callSectigo(request, ENDPOINT, fields, overrides)
        return dcvResult(target, body)
      }
    )
  }
}
