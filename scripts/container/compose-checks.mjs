// Checks of the compose files that the running stack cannot make: the Sectigo override (never
// started here: it calls Sectigo, and podman-compose cannot read its `!override` tag), every
// variable against the configuration table (an unknown name would be ignored silently), the grace
// periods, readiness as the proxy's health check, and secrets read from files.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { configurationVariables, loadCompose, parseDuration } from './compose-model.mjs'

/** Calls `expect(name, ok, detail, failDetail)` once per check. */
export function composeFileChecks(repo, expect) {
  const configVars = configurationVariables(readFileSync(join(repo, 'src', 'config', 'env-schema.ts'), 'utf8'))
  const baseText = readFileSync(join(repo, 'docker-compose.yml'), 'utf8')
  const overrideText = readFileSync(join(repo, 'docker-compose.sectigo.yml'), 'utf8')

  const base = loadCompose([baseText], {})
  expect('docker-compose.yml: needs no variable', base.errors.length === 0, undefined, base.errors.join('; '))
  checkModel('docker-compose.yml', base.model, configVars, expect)
  const proxyTest = JSON.stringify(base.model.services?.proxy?.healthcheck?.test ?? [])
  expect("docker-compose.yml: the proxy's health check asks readiness (/readyz)", /\/readyz/.test(proxyTest), proxyTest)

  const withoutName = loadCompose([baseText, overrideText], {})
  expect(
    'docker-compose.sectigo.yml: refuses to start without SECTIGO_LOGIN_NAME',
    withoutName.errors.some((e) => e.startsWith('SECTIGO_LOGIN_NAME')),
    withoutName.errors.join('; ')
  )
  const merged = loadCompose([baseText, overrideText], { SECTIGO_LOGIN_NAME: 'example-account' })
  expect('docker-compose.sectigo.yml: merges with SECTIGO_LOGIN_NAME set', merged.errors.length === 0, undefined, merged.errors.join('; '))
  const label = 'docker-compose.yml + docker-compose.sectigo.yml'
  checkModel(label, merged.model, configVars, expect)
  const services = merged.model.services ?? {}
  const env = services.proxy?.environment ?? {}
  expect(
    `${label}: the proxy calls Sectigo over https with the real account`,
    env.SECTIGO_BASE_URL === 'https://secure.trust-provider.com/products/' && env.SECTIGO_ALLOW_INSECURE_UPSTREAM !== 'true' && env.SECTIGO_LOGIN_NAME === 'example-account',
    `${env.SECTIGO_BASE_URL}, insecure=${env.SECTIGO_ALLOW_INSECURE_UPSTREAM}`
  )
  const deps = Object.keys(services.proxy?.depends_on ?? {})
  expect(
    `${label}: the simulator is not started and the proxy waits only for Redis`,
    (services.simulator?.profiles ?? []).length > 0 && !deps.includes('simulator') && deps.includes('redis'),
    `simulator profiles ${JSON.stringify(services.simulator?.profiles)}, proxy depends on ${deps.join(', ')}`
  )
  const baseFile = base.model.secrets?.sectigo_login_password?.file
  const liveFile = merged.model.secrets?.sectigo_login_password?.file
  expect(`${label}: the password secret is the real account's file`, liveFile !== undefined && liveFile !== baseFile, `${baseFile} → ${liveFile}`)
}

function checkModel(label, model, configVars, expect) {
  const services = model.services ?? {}
  const ours = Object.entries(services).filter(([, s]) => s.image === services.proxy?.image)
  const unknown = ours.flatMap(([name, s]) => Object.keys(s.environment ?? {}).filter((k) => !configVars.has(k)).map((k) => `${name}.${k}`))
  expect(`${label}: every variable of the image's services is in the configuration table`, unknown.length === 0, ours.map(([n, s]) => `${n}: ${Object.keys(s.environment ?? {}).length}`).join(', '), `unknown: ${unknown.join(', ')}`)

  const inline = ours.flatMap(([name, s]) =>
    ['SECTIGO_LOGIN_PASSWORD', 'API_KEYS'].filter((k) => (s.environment?.[k] ?? '') !== '').map((k) => `${name}.${k}`)
  )
  const declared = model.secrets ?? {}
  const unmounted = ours.flatMap(([name, s]) => {
    const mounted = new Set((s.secrets ?? []).map((sec) => `/run/secrets/${sec.target ?? sec.source}`))
    return Object.entries(s.environment ?? {})
      .filter(([k, v]) => k.endsWith('_FILE') && !mounted.has(String(v)))
      .map(([k, v]) => `${name}.${k}=${v}`)
  })
  const notFiles = Object.entries(declared).filter(([, d]) => !d.file).map(([n]) => n)
  expect(
    `${label}: secrets are files, mounted and read through *_FILE`,
    inline.length === 0 && unmounted.length === 0 && notFiles.length === 0,
    Object.entries(declared).map(([n, d]) => `${n} ← ${d.file}`).join(', '),
    [...inline.map((x) => `${x} inline`), ...unmounted.map((x) => `${x} not mounted`), ...notFiles.map((x) => `${x} not a file`)].join('; ')
  )

  const proxy = services.proxy ?? {}
  const penv = proxy.environment ?? {}
  const timeout = Number(penv.SECTIGO_TIMEOUT_MS ?? 60_000)
  const grace = Number(penv.SHUTDOWN_GRACE_MS ?? timeout + 5000)
  const stop = parseDuration(proxy.stop_grace_period ?? '10s')
  expect(
    `${label}: stop_grace_period > SHUTDOWN_GRACE_MS > SECTIGO_TIMEOUT_MS`,
    penv.SHUTDOWN_GRACE_MS !== undefined && stop > grace && grace > timeout,
    `${timeout} < ${grace} < ${stop} ms`,
    `SECTIGO_TIMEOUT_MS ${timeout}, SHUTDOWN_GRACE_MS ${penv.SHUTDOWN_GRACE_MS ?? '(unset)'}, stop_grace_period ${proxy.stop_grace_period ?? '(unset: 10s)'}`
  )
}
