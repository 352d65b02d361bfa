// `npm run simulator`: the simulator on its own, for demos and the compose stack.

import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { buildSimulator } from './app.js'
import { readSimulatorSettings, SimulatorSettingsError, type SimulatorSettings } from './settings.js'

function settingsOrExit(): SimulatorSettings {
  try {
    return readSimulatorSettings(process.env)
  } catch (err) {
    if (err instanceof SimulatorSettingsError) {
      process.stderr.write(`sectigo-simulator: configuration error: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}

const settings = settingsOrExit()
const logger = pino({ level: settings.logLevel, base: { component: 'simulator' } })
const app = await buildSimulator({
  loginName: settings.loginName,
  loginPassword: settings.loginPassword,
  slowMs: settings.slowMs,
  logger
})

closeWithGrace({ delay: 10_000, logger: { error: (msg: unknown) => app.log.error(msg) } }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'fatal error: closing')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

try {
  await app.listen({ port: settings.port, host: settings.host })
} catch (err) {
  app.log.fatal({ err }, 'could not listen')
  process.exit(1)
}
