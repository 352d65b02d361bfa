// Checks on the text of a JSON body that JSON.parse cannot make: members named twice (the last
// one would win silently), prototype-poisoning keys, and where a syntax error is.

/** What is wrong with a member of a valid JSON text, and where (a JSON pointer). */
export interface MemberFault {
  kind: 'duplicate' | 'forbidden'
  member: string
  pointer: string
}

interface Frame {
  /** Keys seen so far in an object; null for an array. */
  keys: Set<string> | null
  /** The member being read in an object, the index in an array: for the pointer. */
  at: string | number
  /** The key whose value this object is, for constructor.prototype. */
  parentKey: string | undefined
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** The index of the quote closing the string that opens at `start`, skipping its contents fast. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1)
  for (;;) {
    // An odd run of backslashes before the quote escapes it.
    let slashes = 0
    for (let k = end - 1; text.charCodeAt(k) === BACKSLASH; k--) slashes++
    if (slashes % 2 === 0) return end
    end = text.indexOf('"', end + 1)
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

function pointerOf(stack: Frame[], last: string): string {
  const parts = stack.slice(0, -1).map((f) => escapePointer(String(f.at)))
  return `#/${[...parts, escapePointer(last)].join('/')}`
}

/**
 * The first member named twice in one object, or a `__proto__` key, or a `constructor` object
 * holding `prototype` (what secure-json-parse refuses). `text` must already be valid JSON: only
 * structure characters are looked at, and string contents are skipped with `indexOf`.
 */
export function findMemberFault(text: string): MemberFault | undefined {
  const stack: Frame[] = []
  let top: Frame | undefined
  let expectKey = false
  let lastKey: string | undefined
  const length = text.length
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = stringEnd(text, i)
      if (expectKey && top?.keys) {
        const raw = text.slice(i + 1, end)
        // Escapes can spell a name another way ("\u0065mail" is "email"): decode those.
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw
        if (top.keys.has(key)) return { kind: 'duplicate', member: key, pointer: pointerOf(stack, key) }
        if (key === '__proto__' || (key === 'prototype' && top.parentKey === 'constructor')) {
          return { kind: 'forbidden', member: key, pointer: pointerOf(stack, key) }
        }
        top.keys.add(key)
        top.at = key
        lastKey = key
        expectKey = false
      }
      i = end
    } else if (c === 0x7b /* { */) {
      top = { keys: new Set(), at: '', parentKey: top?.keys ? lastKey : undefined }
      stack.push(top)
      expectKey = true
    } else if (c === 0x5b /* [ */) {
      top = { keys: null, at: 0, parentKey: undefined }
      stack.push(top)
      expectKey = false
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
      top = stack[stack.length - 1]
      expectKey = false
      lastKey = top?.keys ? String(top.at) : undefined
    } else if (c === 0x2c /* , */ && top) {
      if (top.keys) expectKey = true
      else top.at = (top.at as number) + 1
    }
  }
  return undefined
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d])

/**
 * The offset of the first syntax error in `text` (only called once JSON.parse has failed: V8's
 * messages do not always give a position, and some quote the body).
 */
export function syntaxErrorOffset(text: string): number {
  let i = 0
  const fail = (): never => {
    throw i
  }
  const ws = (): void => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++
  }
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail()
      i++
    }
  }
  const string = (): void => {
    if (text[i] !== '"') fail()
    i++
    for (;;) {
      if (i >= text.length) fail()
      const c = text.charCodeAt(i)
      if (c === QUOTE) {
        i++
        return
      }
      if (c < 0x20) fail()
      if (c === BACKSLASH) {
        i++
        const e = text[i]
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail()
          i += 5
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++
        else fail()
      } else i++
    }
  }
  const number = (): void => {
    const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400))
    if (!match || match[0] === '' || match[0] === '-') fail()
    else i += match[0].length
  }
  const value = (): void => {
    ws()
    const ch = text[i]
    if (ch === '{') {
      i++
      ws()
      if (text[i] === '}') {
        i++
        return
      }
      for (;;) {
        ws()
        string()
        ws()
        if (text[i] !== ':') fail()
        i++
        value()
        ws()
        if (text[i] === ',') i++
        else if (text[i] === '}') {
          i++
          return
        } else fail()
      }
    } else if (ch === '[') {
      i++
      ws()
      if (text[i] === ']') {
        i++
        return
      }
      for (;;) {
        value()
        ws()
        if (text[i] === ',') i++
        else if (text[i] === ']') {
          i++
          return
        } else fail()
      }
    } else if (ch === '"') string()
    else if (ch === 't') literal('true')
    else if (ch === 'f') literal('false')
    else if (ch === 'n') literal('null')
    else number()
  }
  try {
    value()
    ws()
    if (i < text.length) fail()
  } catch (offset) {
    if (typeof offset === 'number') return offset
    throw offset
  }
  return text.length
}

/** Line and column (both from 1) of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let nl = text.indexOf('\n'); nl !== -1 && nl < offset; nl = text.indexOf('\n', nl + 1)) {
    line++
    lineStart = nl + 1
  }
  return { line, column: offset - lineStart + 1 }
}
