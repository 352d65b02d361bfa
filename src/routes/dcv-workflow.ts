import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ProblemSlug } from '../problems/problem-types.js'
import { DryRunQuery, DryRunResult, OrderHeaders, OrderNumberParam } from '../schemas/common.js'
import {
  DcvEmailListQuery,
  DcvEmailListResult,
  DomainDetailsResult,
  DomainNameParam,
  ResendRequest,
  ResendResult
} from '../schemas/dcv-workflow.js'
import { ORDER_ROUTE_PROBLEMS, problemResponses } from '../schemas/problem.js'
import { dcvEmailListForm, dcvEmailListResult } from '../sectigo/dcv-email-list.js'
import type { DcvTarget } from '../sectigo/dcv-form.js'
import { domainDetailsForm, domainDetailsResult } from '../sectigo/domain-details.js'
import { assertFieldLengths } from '../sectigo/field-lengths.js'
import type { Endpoint } from '../sectigo/fields.js'
import { readReply } from '../sectigo/read-reply.js'
import { resendForm, resendOwnerOverrides, resendResult } from '../sectigo/resend-form.js'
import { callSectigo } from '../sectigo/sectigo-plugin.js'

const LIST: Endpoint = '!GetDCVEmailAddressList'
const RESEND: Endpoint = '!ResendDCVEmail'
const DETAILS: Endpoint = '!GetMDCDomainDetails'

/** Every problem the read routes can answer with (no body, so no body problems of their own). */
export const DCV_READ_PROBLEMS: readonly ProblemSlug[] = ORDER_ROUTE_PROBLEMS
export const RESEND_PROBLEMS: readonly ProblemSlug[] = ORDER_ROUTE_PROBLEMS

const EmailListQuery = Type.Object({ ...DryRunQuery.properties, ...DcvEmailListQuery.properties }, { additionalProperties: false })

const RESEND_ROUTES: ReadonlyArray<{ target: DcvTarget['kind']; url: string; summary: string; description: string }> = [
  {
    target: 'orderNumber',
    url: '/orders/:orderNumber/dcv/resend',
    summary: 'Send the DCV e-mail of an order again (ResendDCVEmail)',
    description:
      "Sends the domain control validation e-mail again through Sectigo's `!ResendDCVEmail`, to the address it last went to or to a new `email` " +
      'that `GET /domains/{domainName}/dcv-email-addresses` listed in the last 24 hours. Retried only when the connection to Sectigo failed before anything was sent; ' +
      'use an `Idempotency-Key` so that a repeat does not send a second e-mail.'
  },
  {
    target: 'baseOrderNumber',
    url: '/base-orders/:baseOrderNumber/dcv/resend',
    summary: 'Send the DCV e-mail again, the order found by its base order number (ResendDCVEmail)',
    description: 'The same as `POST /orders/{orderNumber}/dcv/resend`, with the order named by its base order number (sent as `baseOrderNumber`).'
  }
]

export const dcvWorkflowRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // "No body at all" is the empty object for the resend routes, also an empty JSON body.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) done(null, undefined)
    else parseJson(request, body as string, done)
  })

  app.get(
    '/domains/:domainName/dcv-email-addresses',
    {
      config: { scope: 'dcv:read', endpoint: LIST },
      schema: {
        tags: ['dcv'],
        operationId: 'listDcvEmailAddresses',
        summary: 'List the DCV e-mail addresses Sectigo accepts for a domain (GetDCVEmailAddressList)',
        description:
          "The addresses Sectigo will send a domain control validation e-mail to for this domain, through Sectigo's `!GetDCVEmailAddressList`: " +
          'the WHOIS contact and the role mailboxes of the domain and its parents. Use one of them as `email` in `POST /orders/{orderNumber}/dcv` ' +
          'or `POST /orders/{orderNumber}/dcv/resend` within 24 hours. A read: retried on any transport failure.',
        params: DomainNameParam,
        querystring: EmailListQuery,
        security: [{ bearer: [] }],
        response: {
          200: Type.Union([Type.Ref(DcvEmailListResult), Type.Ref(DryRunResult)], {
            description: 'The accepted addresses (or, with `?dryRun=true`, the fields that would be sent).'
          }),
          ...problemResponses(DCV_READ_PROBLEMS, '/domains/www.example.com/dcv-email-addresses')
        }
      }
    },
    async (request) => {
      const { domainName } = request.params
      const fields = dcvEmailListForm(domainName, request.query.product)
      assertFieldLengths(LIST, fields)
      if (request.query.dryRun === 'true') return { dryRun: true as const, endpoint: LIST, fields: app.sectigo.preview(fields) }
      const reply = await callSectigo(request, LIST, fields)
      return readReply(() => dcvEmailListResult(domainName, reply, new Date()))
    }
  )

  for (const route of RESEND_ROUTES) {
    app.post(
      route.url,
      {
        config: { scope: 'dcv:write', endpoint: RESEND },
        preValidation: (request, _reply, done) => {
          if (request.body === undefined || request.body === null) request.body = {}
          done()
        },
        schema: {
          tags: ['dcv'],
          operationId: route.target === 'orderNumber' ? 'resendOrderDcvEmail' : 'resendBaseOrderDcvEmail',
          summary: route.summary,
          description: route.description,
          params:
            route.target === 'orderNumber'
              ? OrderNumberParam('orderNumber', 'The Sectigo order number.', '1000007')
              : OrderNumberParam('baseOrderNumber', 'The base order number previously returned to the account.', '5000007'),
          security: [{ bearer: [] }],
          querystring: DryRunQuery,
          headers: OrderHeaders,
          body: Type.Ref(ResendRequest),
          response: {
            200: Type.Union([Type.Ref(ResendResult), Type.Ref(DryRunResult)], {
              description: 'Sectigo accepted to send the e-mail again (or, with `?dryRun=true`, the fields that would be sent).'
            }),
            ...problemResponses(RESEND_PROBLEMS, `/${route.target === 'orderNumber' ? 'orders' : 'base-orders'}/1000007/dcv/resend`)
          }
        }
      },
      async (request) => {
        const params = request.params as Record<string, string>
        const target: DcvTarget = { kind: route.target, value: params[route.target] ?? '' }
        const body = request.body as ResendRequest
        const fields = resendForm(target, body)
        const overrides = resendOwnerOverrides(target)
        assertFieldLengths(RESEND, fields, overrides)
        if (request.query.dryRun === 'true') return { dryRun: true as const, endpoint: RESEND, fields: app.sectigo.preview(fields) }
        await callSectigo(request, RESEND, fields, overrides)
        return resendResult(target, body)
      }
    )
  }

  app.get(
    '/orders/:orderNumber/dcv',
    {
      config: { scope: 'dcv:read', endpoint: DETAILS },
      schema: {
        tags: ['dcv'],
        operationId: 'getOrderDcvStatus',
        summary: 'Which domains of an order have passed DCV (GetMDCDomainDetails)',
        description:
          "Each domain of the order with its DCV method and status, through Sectigo's `!GetMDCDomainDetails`. Poll it after changing a method or " +
          'resending the e-mail; `allValidated` turns true once every domain is validated. A read: retried on any transport failure.',
        params: OrderNumberParam('orderNumber', 'The Sectigo order number.', '1000007'),
        querystring: DryRunQuery,
        security: [{ bearer: [] }],
        response: {
          200: Type.Union([Type.Ref(DomainDetailsResult), Type.Ref(DryRunResult)], {
            description: 'The DCV state of each domain (or, with `?dryRun=true`, the fields that would be sent).'
          }),
          ...problemResponses(DCV_READ_PROBLEMS, '/orders/1000007/dcv')
        }
      }
    },
    async (request) => {
      const { orderNumber } = request.params as { orderNumber: string }
      const fields = domainDetailsForm(orderNumber)
      assertFieldLengths(DETAILS, fields)
      if (request.query.dryRun === 'true') return { dryRun: true as const, endpoint: DETAILS, fields: app.sectigo.preview(fields) }
      const reply = await callSectigo(request, DETAILS, fields)
      return readReply(() => domainDetailsResult(orderNumber, reply))
    }
  )
}
