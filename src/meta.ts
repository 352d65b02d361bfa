import { readFileSync } from 'node:fs'

// package.json sits one level above both src/ (tests, tsx) and dist/ (the build and the image).
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string
  version: string
  description: string
}

export const SERVICE_NAME = pkg.name
export const SERVICE_VERSION = pkg.version
export const SERVICE_DESCRIPTION = pkg.description
