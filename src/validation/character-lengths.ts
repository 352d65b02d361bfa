import { createRequire } from 'node:module'
import { _, str, type Ajv, type KeywordCxt, type KeywordDefinition } from 'ajv'

// Ajv's own count (a surrogate pair is one character, as Sectigo counts); CommonJS, loaded as such
// so that its default export is found the same way under every loader.
const ucs2length = (createRequire(import.meta.url)('ajv/dist/runtime/ucs2length.js') as { default: (text: string) => number }).default

/**
 * `maxLength` and `minLength` with Ajv's meaning and errors, counting characters only when the
 * string's length in UTF-16 units cannot decide: a string never has more characters than units,
 * nor fewer than half as many. Ajv counts every string one unit at a time, which was 60 µs of a
 * replacement call (`markLogo` is up to 32,767 characters and has both keywords).
 */
const lengthInCharacters: KeywordDefinition = {
  keyword: ['maxLength', 'minLength'],
  type: 'string',
  schemaType: 'number',
  error: {
    message: ({ keyword, schemaCode }) => str`must NOT have ${keyword === 'maxLength' ? 'more' : 'fewer'} than ${schemaCode} characters`,
    params: ({ schemaCode }) => _`{limit: ${schemaCode}}`
  },
  code(cxt: KeywordCxt) {
    const { keyword, data, schemaCode, gen } = cxt
    const count = gen.scopeValue('func', { ref: ucs2length })
    if (keyword === 'maxLength') cxt.fail(_`${data}.length > ${schemaCode} && ${count}(${data}) > ${schemaCode}`)
    else cxt.fail(_`${data}.length < 2 * ${schemaCode} && ${count}(${data}) < ${schemaCode}`)
  }
}

/** An Ajv plugin (Fastify's `ajv.plugins`): the two keywords above in place of Ajv's. */
export function characterLengths(ajv: Ajv): Ajv {
  ajv.removeKeyword('maxLength')
  ajv.removeKeyword('minLength')
  return ajv.addKeyword(lengthInCharacters)
}
