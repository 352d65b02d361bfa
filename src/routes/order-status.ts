import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ProblemSlug } from '../problems/problem-types.js'
import { DryRunQuery, DryRunResult, OrderNumberParam } from '../schemas/common.js'
import { OrderStatusResult } from '../schemas/order-status.js'
import { ORDER_ROUTE_PROBLEMS, problemResponses } from '../schemas/problem.js'
import { assertFieldLengths } from '../sectigo/field-lengths.js'
import type { Endpoint } from '../sectigo/fields.js'
import { orderStatusForm, orderStatusResult } from '../sectigo/order-status.js'
import { readReply } from '../sectigo/read-reply.js'
import { callSectigo } from '../sectigo/sectigo-plugin.js'

const ENDPOINT: Endpoint = '!GetDetailedOrderStatus'

export const ORDER_STATUS_PROBLEMS: readonly ProblemSlug[] = ORDER_ROUTE_PROBLEMS

export const orderStatusRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/orders/:orderNumber',
    {
      config: { scope: 'orders:read', endpoint: ENDPOINT },
      schema: {
        tags: ['orders'],
        operationId: 'getOrderStatus',
        summary: "An order's status, validity and replacement orders (GetDetailedOrderStatus)",
        description:
          "The order's certificate status, validation status, validity period and the orders that replaced it, through Sectigo's " +
          '`!GetDetailedOrderStatus` (always asked with `queryType=2` and `showValidityPeriod=Y`). Follow a replacement made by ' +
          '`POST /orders/{orderNumber}/replacement` by reading its `replacementOrderNumber` here. A read: retried on any transport failure.',
        params: OrderNumberParam('orderNumber', 'The Sectigo order number.', '2000001'),
        querystring: DryRunQuery,
        security: [{ bearer: [] }],
        response: {
          200: Type.Union([Type.Ref(OrderStatusResult), Type.Ref(DryRunResult)], {
            description: "The order's status (or, with `?dryRun=true`, the fields that would be sent)."
          }),
          ...problemResponses(ORDER_STATUS_PROBLEMS, '/orders/2000001')
        }
      }
    },
    async (request) => {
      const { orderNumber } = request.params as { orderNumber: string }
      const fields = orderStatusForm(orderNumber)
      assertFieldLengths(ENDPOINT, fields)
      if (request.query.dryRun === 'true') return { dryRun: true as const, endpoint: ENDPOINT, fields: app.sectigo.preview(fields) }
      const reply = await callSectigo(request, ENDPOINT, fields)
      return readReply(() => orderStatusResult(orderNumber, reply))
    }
  )
}
