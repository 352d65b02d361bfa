import type { SectigoReply } from './response-parser.js'

const NUMBERED = /^([1-9]\d{0,3})_([A-Za-z][A-Za-z0-9_]*)$/

/**
 * Groups `1_domainName`, `1_dcvStatus`, `2_domainName`… into one record per number, in numeric
 * order (not the order the keys arrived in). The first value of a repeated key is used.
 */
export function numberedEntries(reply: SectigoReply): Array<Record<string, string>> {
  const byNumber = new Map<number, Record<string, string>>()
  for (const [key, values] of reply.values) {
    const match = NUMBERED.exec(key)
    const value = values[0]
    if (!match || value === undefined) continue
    const n = Number(match[1])
    const name = match[2] ?? ''
    const entry = byNumber.get(n) ?? {}
    // Own properties only: a key such as `1___proto__` must not reach the prototype.
    if (!Object.hasOwn(entry, name)) Object.defineProperty(entry, name, { value, enumerable: true, writable: true, configurable: true })
    byNumber.set(n, entry)
  }
  return [...byNumber.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry)
}
