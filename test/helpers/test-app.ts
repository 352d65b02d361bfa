import { MockAgent } from 'undici'
import { buildApp, type App, type AppDeps } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config/load-config.js'
import { captureLogs, type LogCapture } from './log-capture.js'

export const UPSTREAM_ORIGIN = 'https://sectigo.test'
export const UPSTREAM_BASE = `${UPSTREAM_ORIGIN}/products/`
export const LOGIN_NAME = 'acme-api'
/** A password full of characters that break naive form encoding and log scrubbing. */
export const LOGIN_PASSWORD = 'S3cr3t&pw=%2B+ü'

export const LIVE_ENV: Record<string, string> = {
  SECTIGO_LOGIN_NAME: LOGIN_NAME,
  SECTIGO_LOGIN_PASSWORD: LOGIN_PASSWORD,
  SECTIGO_BASE_URL: UPSTREAM_BASE,
  ALLOW_UNAUTHENTICATED: 'true',
  LOG_LEVEL: 'debug'
}

export interface TestApp {
  app: App
  agent: MockAgent
  logs: LogCapture
  config: Config
  /** The MockAgent pool for Sectigo's origin. */
  upstream: ReturnType<MockAgent['get']>
}

/** The whole service in live mode, with Sectigo replaced by a MockAgent that allows no real network. */
export async function buildTestApp(env: Record<string, string> = {}, deps: Partial<AppDeps> = {}): Promise<TestApp> {
  const config = loadConfig({ ...LIVE_ENV, ...env })
  const agent = new MockAgent()
  agent.disableNetConnect()
  const logs = captureLogs()
  // Parallel workers on two cores stall event loops for seconds while compiling; shedding is tested on its own.
  const app = await buildApp(config, { dispatcher: agent, logStream: logs, pressure: { maxEventLoopDelayMs: 60_000 }, ...deps })
  await app.ready()
  return { app, agent, logs, config, upstream: agent.get(UPSTREAM_ORIGIN) }
}
