import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Dispatcher } from 'undici'
import type { SectigoConfig } from '../config/load-config.js'
import { SectigoClient, type AttemptRecord, type CallObserver } from './client.js'
import { problemForReply, type OwnerOverrides } from './error-codes.js'
import type { Endpoint } from './fields.js'
import type { FormFields } from './form-encoder.js'
import type { SectigoReply } from './response-parser.js'
import { UpstreamFailure, problemForFailure } from './upstream-failure.js'

/** What became of a request's Sectigo call, for the idempotency store, the audit line and traces. */
export interface SectigoCallRecord {
  endpoint: Endpoint
  /** Admitted past the queue bound: the call may have reached Sectigo. */
  attempted: boolean
  errorCode?: number
  /** Every finished attempt, in order (empty when the call was refused before any). */
  attempts: AttemptRecord[]
}

declare module 'fastify' {
  interface FastifyInstance {
    sectigo: SectigoClient
  }
  interface FastifyRequest {
    sectigoCall: SectigoCallRecord | null
  }
}

export interface SectigoPluginOptions {
  sectigo: SectigoConfig
  dispatcher?: Dispatcher
  observer?: CallObserver
}

export const sectigoPlugin = fp(
  async (app: FastifyInstance, opts: SectigoPluginOptions) => {
    const client = new SectigoClient({
      ...opts.sectigo,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      ...(opts.observer ? { observer: opts.observer } : {})
    })
    app.decorate('sectigo', client)
    app.decorateRequest('sectigoCall', null)
    app.addHook('onClose', async () => client.close())
  },
  { name: 'sectigo', fastify: '5.x', dependencies: ['problem-handler'] }
)

/**
 * Makes one call and returns Sectigo's successful reply; any failure or negative code is thrown
 * as the problem the caller sees. `overrides` say where the request put fields the table
 * cannot know (for instance `dcvEmailAddresses` built from `dcvMethod`).
 */
export async function callSectigo(
  request: FastifyRequest,
  endpoint: Endpoint,
  fields: FormFields,
  overrides: OwnerOverrides = {}
): Promise<SectigoReply> {
  const record: SectigoCallRecord = { endpoint, attempted: false, attempts: [] }
  request.sectigoCall = record
  let reply: SectigoReply
  try {
    reply = (await request.server.sectigo.call(endpoint, fields, request.log, () => (record.attempted = true), record.attempts)).reply
  } catch (err) {
    if (err instanceof UpstreamFailure) throw problemForFailure(err)
    throw err
  }
  record.errorCode = reply.errorCode
  if (reply.errorCode < 0) throw problemForReply(endpoint, reply, overrides)
  // The pages define 0 as success and negatives as errors; anything else is not a reply we know.
  if (reply.errorCode !== 0) throw problemForFailure(new UpstreamFailure('bad-reply', `unexpected errorCode ${reply.errorCode}`))
  return reply
}
