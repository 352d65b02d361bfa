import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { registerAdminRoutes } from './admin-routes.js'
import { registerEndpoints } from './endpoint-routes.js'
import { FormArguments } from './form.js'
import { OrderBook } from './order-book.js'
import { SlowWaits } from './slow-waits.js'

export interface SimulatorOptions {
  loginName: string
  loginPassword: string
  /** How long the slow fault order waits before answering. */
  slowMs: number
  /** A logger to use (sandbox mode passes a child of the proxy's); none logs nothing. */
  logger?: FastifyBaseLogger
}

/** The Sectigo simulator app: a separate Fastify app that shares no code with the proxy. */
export async function buildSimulator(options: SimulatorOptions): Promise<FastifyInstance> {
  const app = options.logger ? Fastify({ loggerInstance: options.logger }) : Fastify({ logger: false })

  // Sectigo reads form bodies only. Any other body reaches the endpoints as no arguments at
  // all (so -3 on loginName), as a servlet that finds no form parameters would answer.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, FormArguments.parse(typeof body === 'string' ? body : body.toString('utf8')))
  })
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => {
    done(null, FormArguments.empty())
  })

  const book = new OrderBook()
  const waits = new SlowWaits()
  // preClose runs before the server waits for in-flight requests: answer the slow ones now.
  app.addHook('preClose', async () => {
    waits.endAll()
  })

  registerEndpoints(app, {
    book,
    waits,
    slowMs: options.slowMs,
    account: { loginName: options.loginName, loginPassword: options.loginPassword }
  })
  registerAdminRoutes(app, book)
  return app
}
