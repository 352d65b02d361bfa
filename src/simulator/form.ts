// The arguments of one call exactly as sent: every (name, value) pair in order, so that a
// repeated name can be told apart from a single one.

export class FormArguments {
  private constructor(readonly pairs: ReadonlyArray<readonly [string, string]>) {}

  /** Form rules (`+` is a space, each value decoded once), as Sectigo's servlet reads a body. */
  static parse(text: string): FormArguments {
    return new FormArguments([...new URLSearchParams(text)])
  }

  static empty(): FormArguments {
    return new FormArguments([])
  }

  /** The first value sent under `name`; `''` when sent empty, undefined when not sent. */
  get(name: string): string | undefined {
    return this.pairs.find(([n]) => n === name)?.[1]
  }

  has(name: string): boolean {
    return this.pairs.some(([n]) => n === name)
  }

  /** The first name (in the order sent) that is not in `known`. */
  firstUnknown(known: ReadonlySet<string>): string | undefined {
    return this.pairs.find(([n]) => !known.has(n))?.[0]
  }

  /** The first name sent more than once. */
  firstRepeated(): string | undefined {
    const seen = new Set<string>()
    for (const [name] of this.pairs) {
      if (seen.has(name)) return name
      seen.add(name)
    }
    return undefined
  }

  /** The arguments as a record, without the ones named in `omit` (the account's secrets). */
  toRecord(omit: ReadonlySet<string>): Record<string, string> {
    const entries = new Map<string, string>()
    for (const [name, value] of this.pairs) {
      if (!omit.has(name) && !entries.has(name)) entries.set(name, value)
    }
    // fromEntries defines own properties, so no name can reach the prototype.
    return Object.fromEntries(entries)
  }
}
