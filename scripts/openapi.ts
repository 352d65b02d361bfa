// `npm run openapi`: writes the OpenAPI document the app generates to openapi/openapi.json.
// Deterministic: the same code always gives the same bytes (test/openapi.test.ts checks it).
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MockAgent } from 'undici'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'

export const OPENAPI_PATH = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))

/** The document as the app serves it at /openapi.json, built without any network. */
export async function generateOpenApi(): Promise<string> {
  const config = loadConfig({
    SECTIGO_LOGIN_NAME: 'openapi',
    SECTIGO_LOGIN_PASSWORD: 'openapi',
    SECTIGO_BASE_URL: 'https://sectigo.invalid/products/',
    ALLOW_UNAUTHENTICATED: 'true',
    LOG_LEVEL: 'silent'
  })
  const app = await buildApp(config, { dispatcher: new MockAgent() })
  await app.ready()
  const text = `${JSON.stringify(app.swagger(), null, 2)}\n`
  await app.close()
  return text
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_PATH, await generateOpenApi())
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`)
}
