import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Dispatcher } from 'undici'
import type { SectigoConfig } from '../config/load-config.js'
import type { Scrub } from '../security/scrubber.js'
import { SectigoClient, newCallRecord, type SectigoCallRecord } from './client.js'
import { problemForReply, type OwnerOverrides } from './error-codes.js'
import { RETRY_POLICY, type Endpoint } from './fields.js'
import type { FormFields } from './form-encoder.js'
import type { SectigoReply } from './response-parser.js'
import { UpstreamFailure, problemForFailure } from './upstream-failure.js'

export type { SectigoCallRecord } from './client.js'

declare module 'fastify' {
  interface FastifyInstance {
    sectigo: SectigoClient
  }
  interface FastifyRequest {
    /** The request's call to Sectigo, once it made one: what the log line, metrics and idempotency read. */
    sectigoCall: SectigoCallRecord | null
  }
}

export interface SectigoPluginOptions {
  sectigo: SectigoConfig
  dispatcher?: Dispatcher
  scrub?: Scrub
}

export const sectigoPlugin = fp(
  async (app: FastifyInstance, opts: SectigoPluginOptions) => {
    const client = new SectigoClient({
      ...opts.sectigo,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      ...(opts.scrub ? { scrub: opts.scrub } : {})
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
  const record = newCallRecord(endpoint)
  request.sectigoCall = record
  let reply: SectigoReply
  try {
    reply = await request.server.sectigo.call(record, fields)
  } catch (err) {
    if (err instanceof UpstreamFailure) throw problemForFailure(err, RETRY_POLICY[endpoint] === 'transport')
    throw err
  }
  if (reply.errorCode < 0) throw problemForReply(endpoint, reply, overrides)
  // The pages define 0 as success and negatives as errors; anything else is not a reply we know.
  if (reply.errorCode !== 0) throw problemForFailure(new UpstreamFailure('bad-reply', `unexpected errorCode ${reply.errorCode}`))
  return reply
}
