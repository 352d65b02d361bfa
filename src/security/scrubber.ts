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

/**
 * For text an outside party wrote (Sectigo's messages, which can echo the arguments they were
 * sent): the exact spellings are not enough, since the echo may be percent-encoded in any case,
 * partly or twice, Unicode-escaped or decomposed. When any decoding of `text` holds a secret, the
 * whole text is withheld; otherwise it is returned as the exact scrub leaves it.
 */
export function createEchoScrubber(values: readonly string[], scrub: Scrub = createScrubber(values)): Scrub {
  const secrets = values.filter((v) => v.length >= 4).map((v) => v.normalize('NFC'))
  if (secrets.length === 0) return scrub
  return (text) => {
    // Printable ASCII without `%`, `+` or a backslash decodes to nothing but itself (most of
    // Sectigo's values: codes, dates, order numbers, states): its one view is the text.
    if (PLAIN.test(text)) return secrets.some((secret) => text.includes(secret)) ? REDACTED : scrub(text)
    for (const view of decodings(text)) {
      if (secrets.some((secret) => view.includes(secret))) return REDACTED
    }
    return scrub(text)
  }
}

const PLAIN = /^[\x20-\x24\x26-\x2a\x2c-\x5b\x5d-\x7e]*$/
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g
const UNICODE_ESCAPE = /\\u([0-9A-Fa-f]{4})/g

function percentDecode(text: string): string {
  return text.replace(PERCENT_RUN, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}

/** The text as it reads after each plausible decoding, up to three layers deep. */
function decodings(text: string): string[] {
  const views = new Set<string>()
  let layer = [text]
  for (let depth = 0; depth < 3; depth++) {
    const next: string[] = []
    for (const view of layer) {
      for (const candidate of [view, view.replace(/\+/g, ' ')]) {
        const normal = candidate.normalize('NFC')
        if (!views.has(normal)) views.add(normal)
        const decoded = percentDecode(candidate).replace(UNICODE_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
        if (decoded !== candidate) next.push(decoded)
      }
    }
    if (next.length === 0) break
    layer = next
  }
  return [...views]
}
