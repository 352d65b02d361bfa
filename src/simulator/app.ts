import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'

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
  app.get('/healthz', async () => ({ status: 'ok' }))
  return app
}
