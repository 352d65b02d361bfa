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

// Installed before the app is built, so a signal during startup also ends the process cleanly.
closeWithGrace(
  {
    delay: config.shutdownGraceMs,
    logger: { error: (msg: unknown) => (holder.app ? holder.app.log.error(msg) : process.stderr.write(`${String(msg)}\n`)) },
    onSecondSignal: (signal) => {
      holder.app?.log.warn({ signal }, 'second signal: exiting at once')
      process.exit(1)
    }
  },
  async ({ signal, err }) => {
    const { app } = holder
    if (!app) return
    if (err) app.log.error({ err }, 'fatal error: closing')
    else app.log.info({ signal }, 'shutting down: draining in-flight requests')
    app.lifecycle.beginShutdown()
    await app.lifecycle.drained(config.shutdownGraceMs)
    await app.close()
    app.log.info('shut down')
  }
)

const app = await buildApp(config)
holder.app = app
try {
  // A deeper accept queue than Node's 511: a burst of new connections waits less for a SYN retry.
  await app.listen({ port: config.port, host: config.host, backlog: 2048 })
} catch (err) {
  app.log.fatal({ err }, 'could not listen')
  process.exit(1)
}
