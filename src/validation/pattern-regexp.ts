import type { RegExpEngine } from 'ajv/dist/types/index.js'

/**
 * Ajv's `code.regExp`: how every schema `pattern` is compiled. Ajv asks for the `u` flag, which
 * changes what a pattern matches only through what it says about characters beyond ASCII: `.`, a
 * negated class or escape, `\p{…}`, `\u{…}`. A pattern of nothing but ASCII literals and positive ASCII
 * classes can match only ASCII, where code points and code units are the same, so the flag changes
 * nothing it accepts; but V8 runs such a pattern without it about twice as fast (Node 24: 35 µs
 * instead of 79 µs for the 30,000 characters of a logo). Every other pattern keeps the flag.
 */
export const patternRegExp = Object.assign(
  (pattern: string, flags: string): RegExp => new RegExp(pattern, flags.includes('u') && isPlainAscii(pattern) ? flags.replace('u', '') : flags),
  // What Ajv's standalone code would call; the service compiles its schemas at startup only.
  { code: 'patternRegExp' }
) satisfies RegExpEngine

/**
 * ASCII only, no negated class or negated escape (`\D`, `\S`, `\W`: each can match one half of a
 * surrogate pair), no `\p`/`\P`/`\u` escape, and no `.` but an escaped one.
 */
function isPlainAscii(pattern: string): boolean {
  if (!/^[\x20-\x7e]*$/.test(pattern)) return false
  if (pattern.includes('[^') || /\\[pPuDSW]/.test(pattern)) return false
  return !pattern.replace(/\\\\|\\\./g, '').includes('.')
}
