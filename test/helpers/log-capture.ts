/** A pino destination that keeps every line, to assert on the whole log output. */
export interface LogCapture {
  write(line: string): void
  lines: string[]
  /** Every line parsed as JSON. */
  records(): Array<Record<string, unknown>>
  text(): string
}

export function captureLogs(): LogCapture {
  const lines: string[] = []
  return {
    lines,
    write(line: string) {
      lines.push(line)
    },
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join('')
  }
}
