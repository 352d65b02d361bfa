import { Ajv } from 'ajv'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { characterLengths } from '../../src/validation/character-lengths.js'

const stock = new Ajv({ allErrors: false })
const ours = characterLengths(new Ajv({ allErrors: false }))

/** Strings of BMP characters, surrogate pairs and lone surrogates, the cases where units and characters differ. */
const text = fc.array(
  fc.oneof(
    fc.constantFrom('a', 'é', '漢', '\u{1F600}', '\u{10FFFF}', '\uD800', '\uDC00', '\uDBFF\uDBFF'),
    fc.string({ unit: 'grapheme', maxLength: 3 })
  ),
  { maxLength: 40 }
).map((parts) => parts.join(''))

describe('maxLength and minLength counted in characters only when needed', () => {
  it("accept and refuse exactly what Ajv's own keywords do, with the same error", () => {
    fc.assert(
      fc.property(text, fc.nat(40), fc.nat(40), (value, max, min) => {
        for (const schema of [{ type: 'string', maxLength: max }, { type: 'string', minLength: min }, { type: 'string', minLength: min, maxLength: max }]) {
          const a = stock.compile(schema)
          const b = ours.compile(schema)
          expect(b(value)).toBe(a(value))
          expect(b.errors ?? null).toEqual(a.errors ?? null)
        }
      }),
      { numRuns: 3000, seed: 16 }
    )
  })

  it('count a surrogate pair as one character at the limits', () => {
    const max = ours.compile({ type: 'string', maxLength: 2 })
    expect(max('\u{1F600}\u{1F600}')).toBe(true)
    expect(max('\u{1F600}\u{1F600}a')).toBe(false)
    expect(max.errors?.[0]).toMatchObject({ keyword: 'maxLength', params: { limit: 2 }, message: 'must NOT have more than 2 characters' })
    const min = ours.compile({ type: 'string', minLength: 2 })
    expect(min('\u{1F600}')).toBe(false)
    expect(min.errors?.[0]).toMatchObject({ keyword: 'minLength', params: { limit: 2 }, message: 'must NOT have fewer than 2 characters' })
    expect(min('\u{1F600}a')).toBe(true)
  })
})
