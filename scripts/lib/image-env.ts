import { readFileSync } from 'node:fs'

/**
 * The NODE_OPTIONS the image sets (`ENV NODE_OPTIONS="…"` in the Dockerfile), so that the bench and
 * the soak run the service with the same heap bounds as the container. Empty when it sets none.
 */
export function imageNodeOptions(dockerfile: string): string {
  const text = readFileSync(dockerfile, 'utf8')
  return /^\s*(?:ENV\s+)?NODE_OPTIONS="([^"]*)"/m.exec(text)?.[1] ?? ''
}
