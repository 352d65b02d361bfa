import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { Config } from './config/load-config.js'

export interface Sandbox {
  upstream: { baseUrl: string; loginName: string; loginPassword: string }
  close(): Promise<void>
}

/**
 * Sandbox mode: the simulator runs in this process on a random loopback port and the proxy
 * uses its account, so nothing can reach Sectigo.
 */
export async function startSandbox(config: Config, logger: Logger): Promise<Sandbox> {
  // Loaded here, not at the top: a live service never needs the simulator (nor its X.509 library).
  const { buildSimulator } = await import('./simulator/app.js')
  const simulator = await buildSimulator({
    loginName: config.simulator.loginName,
    loginPassword: config.simulator.loginPassword,
    slowMs: config.simulator.slowMs,
    logger: logger.child({ component: 'simulator' })
  })
  // Worded apart from the proxy's own "Server listening at" line, which tools wait for.
  await simulator.listen({ host: '127.0.0.1', port: 0, listenTextResolver: (address) => `sandbox simulator listening at ${address}` })
  const { port } = simulator.server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}/products/`
  logger.warn(
    { sandbox: { simulator: baseUrl } },
    'sandbox mode: calls go to the built-in Sectigo simulator, nothing reaches Sectigo; set SECTIGO_LOGIN_NAME for live mode'
  )
  return {
    upstream: { baseUrl, loginName: config.simulator.loginName, loginPassword: config.simulator.loginPassword },
    close: () => simulator.close()
  }
}
