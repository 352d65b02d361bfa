import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PATTERN_DESCRIPTIONS, NO_CONTROL_CHARACTERS } from '../../src/schemas/common.js'
import { patternRegExp } from '../../src/validation/pattern-regexp.js'

// Every pattern of the service's schemas: the described ones and the CSR's.
const PATTERNS = [...Object.keys(PATTERN_DESCRIPTIONS), '^[-A-Za-z0-9+/= \\r\\n]*$']

/** Strings near each pattern's alphabet, with the characters where code points and units differ. */
const text = fc.array(
  fc.oneof(
    fc.constantFrom('a', 'Z', '0', '9', '-', '_', '.', '*', '+', '/', '=', ' ', '\r', '\n', '\x7f', '\x00', 'é', '\u{1F600}', '\uD800', '\uDC00', 'ab.example', '*.'),
    fc.string({ unit: 'binary', maxLength: 2 })
  ),
  { maxLength: 30 }
).map((parts) => parts.join(''))

describe("the schemas' patterns as the service compiles them", () => {
  it('accept exactly what the same pattern with the u flag accepts', () => {
    const pairs = PATTERNS.map((p) => [new RegExp(p, 'u'), patternRegExp(p, 'u')] as const)
    fc.assert(
      fc.property(text, (value) => {
        for (const [reference, compiled] of pairs) expect(compiled.test(value)).toBe(reference.test(value))
      }),
      { numRuns: 5000, seed: 16 }
    )
  })

  it('drop the flag only for patterns of plain ASCII classes and literals', () => {
    expect(patternRegExp('^[A-Za-z0-9+/_-]*={0,2}$', 'u').flags).toBe('')
    expect(patternRegExp('^(?:\\*\\.)?[a-z]+\\.[a-z]+$', 'u').flags).toBe('')
    for (const kept of [NO_CONTROL_CHARACTERS, '^.{2}$', '^\\S{2}$', '^[^a]$', '^\\u{1F600}$', '^\\p{L}+$', '^é$', '^\\\\.$']) {
      expect(patternRegExp(kept, 'u').flags).toBe('u')
    }
    expect(patternRegExp('^a$', '').flags).toBe('')
  })
})
