// The environment the Dockerfile's ENV instructions set (`ENV A=b \` continued, values quoted or
// not): the bench and the soak run the service with the image's runtime settings (its heap bounds),
// and the container test checks that the built image carries them.
import { readFileSync } from 'node:fs'

/** Every variable the ENV instructions of `dockerfile` (a path) set, in order; later ones win. */
export function dockerfileEnv(dockerfile) {
  const text = readFileSync(dockerfile, 'utf8').replace(/\\\r?\n/g, ' ')
  const env = {}
  for (const line of text.split(/\r?\n/)) {
    const instruction = /^\s*ENV\s+(.*)$/i.exec(line)
    if (!instruction) continue
    for (const [, name, quoted, bare] of instruction[1].matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g)) {
      env[name] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare
    }
  }
  return env
}

/** The variables of the image that shape the Node runtime itself rather than the service. */
export const RUNTIME_VARIABLES = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX']

/** The image's runtime variables (unset ones left out). */
export function imageRuntimeEnv(dockerfile) {
  const env = dockerfileEnv(dockerfile)
  return Object.fromEntries(RUNTIME_VARIABLES.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]))
}
