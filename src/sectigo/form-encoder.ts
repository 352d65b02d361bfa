// The one form encoder. Every value is UTF-8 percent-encoded in full, so `&`, `=`, `+`, `%`, CR/LF
// and any other character reach Sectigo as that exact value and cannot start another field.

export type FormFields = ReadonlyArray<readonly [name: string, value: string]>

export class FormEncodingError extends Error {
  constructor(readonly field: string) {
    super(`form field ${field} holds text that is not well-formed UTF-16`)
    this.name = 'FormEncodingError'
  }
}

function encodeComponent(field: string, text: string): string {
  try {
    return encodeURIComponent(text)
  } catch (err) {
    // encodeURIComponent throws a URIError only on a lone surrogate; say which field instead.
    if (err instanceof URIError) throw new FormEncodingError(field)
    throw err
  }
}

/** Encodes fields in order as application/x-www-form-urlencoded. Field names must be unique. */
export function encodeForm(fields: FormFields): string {
  const seen = new Set<string>()
  const parts: string[] = []
  for (const [name, value] of fields) {
    if (seen.has(name)) throw new Error(`form field ${name} is set twice`)
    seen.add(name)
    parts.push(`${encodeComponent(name, name)}=${encodeComponent(name, value)}`)
  }
  return parts.join('&')
}
