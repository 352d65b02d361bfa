import closeWithGrace from 'close-with-grace'
import { buildApp, type App } from './app.js'
import { ConfigError, loadConfig, type Config } from './config/load-config.js'

function readConfig(): Config {
  try {
    return loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      // Every bad variable at once, one line each naming it; never a secret value.
      for (const { variable, problem } of err.issues) process.stderr.write(`sectigo-proxy: configuration error: ${variable} ${problem}\n`)
      process.exit(1)
    }
    throw err
  }
}

const config = readConfig()
// Set once built; the shutdown handler below is installed first and reads it when it runs.
const holder: { app?: App } = {}

/** What closing takes beyond the drain: the listener, Redis, the upstream pool, the last log lines. */
const CLOSE_MARGIN_MS = 2000

// Installed before the app is built, so a signal during startup also ends the process cleanly.
// The grace bounds the drain; past grace + margin close-with-grace exits with 1 whatever is left,
// and nothing on the way can block it: the log destination never flushes synchronously.
closeWithGrace(
  {
    delay: config.shutdownGraceMs + CLOSE_MARGIN_MS,
    logger: { error: (msg: unknown) => (holder.app ? holder.app.log.error(msg) : process.stderr.write(`${String(msg)}\n`)) },
    onSecondSignal: (signal) => {
      holder.app?.log.warn({ signal }, 'second signal: exiting at once')
      holder.app?.logDestination?.flush()
      process.exit(1)
    }
  },
  async ({ signal, err }) => {
    const { app } = holder
    if (!app) return
    if (err) app.log.error({ err }, 'fatal error: closing')
    else app.log.info({ signal }, 'shutting down: draining in-flight requests')
    app.lifecycle.beginShutdown()
    const drained = await app.lifecycle.drained(config.shutdownGraceMs)
    if (!drained) app.log.warn({ inFlight: app.lifecycle.inFlight }, 'grace period over: cutting in-flight requests short')
    // Open calls to Sectigo are cut: their callers get an answer now rather than a reset later.
    if (!drained) await app.sectigo.destroy()
    await app.close()
    app.log.info('shut down')
    await app.logDestination?.settle(CLOSE_MARGIN_MS / 2)
    // close-with-grace exits with 1 when this throws: the process had to cut work short.
    if (!drained) throw new Error('in-flight requests were cut short')
  }
)

const app = await buildApp(config)
holder.app = app
try {
  // A deeper accept queue than Node's 511: a burst of new connections waits less for a SYN retry.
  await app.listen({ port: config.port, host: config.host, backlog: 2048 })
} catch (err) {
  app.log.fatal({ err }, 'could not listen')
  app.logDestination?.flush()
  process.exit(1)
}
