export const REDACTED = '[redacted]'

/** Replaces configured secrets in any text; a no-op when there are none. */
export type Scrub = (text: string) => string

/**
 * The one rule for every piece of text that leaves the service (log lines, problem bodies, stored
 * idempotency records, headers): each configured secret, in plain, URL-encoded (both `%20` and
 * `+` forms) and JSON-escaped spelling, becomes `[redacted]`. Sectigo echoes arguments in some
 * error messages, so its text is scrubbed where it enters the service.
 */
export function createScrubber(values: readonly string[]): Scrub {
  const forms = new Set<string>()
  for (const value of values) {
    // Very short values would scrub ordinary words; secrets are never that short in practice.
    if (value.length < 4) continue
    forms.add(value)
    forms.add(encodeURIComponent(value))
    forms.add(new URLSearchParams({ v: value }).toString().slice(2))
    forms.add(JSON.stringify(value).slice(1, -1))
  }
  const secrets = [...forms].sort((a, b) => b.length - a.length)
  if (secrets.length === 0) return (text) => text
  return (text) => {
    let out = text
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED)
    return out
  }
}
