// The legacy endpoints. Every method is routed here so that anything but POST gets
// Sectigo's -17 rather than a 404 or 405.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { autoReplaceMc, replyFormat } from './auto-replace-mc.js'
import { autoUpdateDcv } from './auto-update-dcv.js'
import { getDcvEmailAddressList } from './get-dcv-email-address-list.js'
import { getDetailedOrderStatus } from './get-detailed-order-status.js'
import { getMdcDomainDetails } from './get-mdc-domain-details.js'
import { formatForErrors } from './read-arguments.js'
import { resendDcvEmail } from './resend-dcv-email.js'
import type { Account, Outcome } from './call.js'
import { FormArguments } from './form.js'
import type { OrderBook } from './order-book.js'
import {
  JSON_TYPE,
  replaceContentType,
  TEXT_PLAIN,
  URL_ENCODED,
  writeDcvReply,
  writeListReply,
  writePairsReply,
  writeReplaceReply,
  type Result,
  type WrittenReply
} from './replies.js'
import type { SlowWaits } from './slow-waits.js'

export interface EndpointDeps {
  readonly book: OrderBook
  readonly account: Account
  readonly waits: SlowWaits
  readonly slowMs: number
}

const SERVER_ERROR_PAGE =
  '<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>' +
  '<body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>\n'

// A maintenance page answered with 200 and the endpoint's usual Content-Type: readers must
// judge the body, not the header.
const UNPARSABLE_BODY =
  '<html><head><title>Maintenance</title></head><body>Service temporarily unavailable, please try again later.</body></html>\n'

const nowSeconds = () => Math.floor(Date.now() / 1000)

export function registerEndpoints(app: FastifyInstance, deps: EndpointDeps): void {
  app.all('/products/!AutoUpdateDCV', async (request, reply) => {
    const call = { method: request.method, args: argumentsOf(request), book: deps.book, account: deps.account, now: nowSeconds }
    return send(request, reply, deps, autoUpdateDcv(call), writeDcvReply, URL_ENCODED)
  })

  app.all('/products/!AutoReplaceMC', async (request, reply) => {
    const args = argumentsOf(request)
    const format = replyFormat(args)
    const call = { method: request.method, args, book: deps.book, account: deps.account, now: nowSeconds }
    return send(request, reply, deps, autoReplaceMc(call), (result) => writeReplaceReply(format, result), replaceContentType(format))
  })

  app.all('/products/!GetDCVEmailAddressList', async (request, reply) => {
    const args = argumentsOf(request)
    const format = formatForErrors(args)
    const call = { method: request.method, args, book: deps.book, account: deps.account, now: nowSeconds }
    return send(request, reply, deps, getDcvEmailAddressList(call), (result) => writeListReply(format, result), format === 2 ? JSON_TYPE : TEXT_PLAIN)
  })

  // ResendDCVEmail has no responseFormat: always URL-encoded, like AutoUpdateDCV.
  app.all('/products/!ResendDCVEmail', async (request, reply) => {
    const call = { method: request.method, args: argumentsOf(request), book: deps.book, account: deps.account, now: nowSeconds }
    return send(request, reply, deps, resendDcvEmail(call), (result) => writePairsReply(1, result), URL_ENCODED)
  })

  for (const [path, endpoint] of [
    ['/products/!GetMDCDomainDetails', getMdcDomainDetails],
    ['/products/!GetDetailedOrderStatus', getDetailedOrderStatus]
  ] as const) {
    app.all(path, async (request, reply) => {
      const args = argumentsOf(request)
      const format = formatForErrors(args)
      const call = { method: request.method, args, book: deps.book, account: deps.account, now: nowSeconds }
      return send(request, reply, deps, endpoint(call), (result) => writePairsReply(format, result), format === 2 ? JSON_TYPE : URL_ENCODED)
    })
  }
}

/** POST arguments come from the form body only; other methods' (for the -17 reply) from the query too. */
function argumentsOf(request: FastifyRequest): FormArguments {
  if (request.body instanceof FormArguments) return request.body
  if (request.method === 'POST') return FormArguments.empty()
  const query = request.url.indexOf('?')
  return query === -1 ? FormArguments.empty() : FormArguments.parse(request.url.slice(query + 1))
}

async function send<S>(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: EndpointDeps,
  outcome: Outcome<S>,
  write: (result: Result<S>) => WrittenReply,
  usualContentType: string
): Promise<FastifyReply> {
  if (outcome.type === 'broken') {
    request.log.info({ fault: outcome.fault }, 'simulator: fault order')
    if (outcome.fault === 'http-500') return reply.code(500).type('text/html; charset=utf-8').send(SERVER_ERROR_PAGE)
    return reply.code(200).type(usualContentType).send(UNPARSABLE_BODY)
  }
  let result: Result<S>
  if (outcome.type === 'slow') {
    await deps.waits.wait(deps.slowMs)
    result = outcome.settle()
  } else {
    result = outcome.result
  }
  request.log.info({ errorCode: result.ok ? 0 : result.error.code }, 'simulator: answered')
  const written = write(result)
  return reply.code(200).type(written.contentType).send(written.body)
}
