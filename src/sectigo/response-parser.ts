// The one parser for Sectigo's replies, in every form upstream-notes.md records. The format is
// recognised from the body, never from the Content-Type, which Sectigo does not set reliably.

export type ReplyFormat = 'urlencoded' | 'newline' | 'percent-encoded-newline' | 'json'

export interface SectigoReply {
  format: ReplyFormat
  errorCode: number
  errorMessage?: string
  errorItem?: string
  errorDetail?: string
  /** URL-encoded and JSON replies: every value of every key, in order (keys can repeat; a JSON array gives several). */
  values: ReadonlyMap<string, readonly string[]>
  /** Newline replies: the lines after the status line (and after the message on an error). */
  lines: readonly string[]
}

/** A reply the service cannot read: it becomes `upstream-bad-response`. */
export class BadReplyError extends Error {
  constructor(readonly reason: string) {
    super(`Sectigo reply ${reason}`)
    this.name = 'BadReplyError'
  }
}

const CODE = /^-?\d{1,9}$/
const NEWLINE_REPLY = /^-?\d{1,9}(?:\r?\n|$)/
const PERCENT_NEWLINE_REPLY = /^-?\d{1,9}%0[aAdD]/

export function parseReply(body: string): SectigoReply {
  const text = body.replace(/^\uFEFF/, '')
  if (text.trim() === '') throw new BadReplyError('is empty')
  if (/^\s*</.test(text)) throw new BadReplyError('is markup, not a Sectigo reply')

  // The read endpoints answer JSON for responseFormat=2; the service asks for the other forms,
  // but a JSON answer is still read rather than called broken.
  if (/^\s*\{/.test(text)) return parseJson(text)
  if (NEWLINE_REPLY.test(text)) return parseNewline(text, 'newline')
  if (PERCENT_NEWLINE_REPLY.test(text)) {
    let decoded: string
    try {
      decoded = decodeURIComponent(text)
    } catch {
      throw new BadReplyError('has broken percent-encoding')
    }
    return parseNewline(decoded, 'percent-encoded-newline')
  }
  return parseUrlEncoded(text)
}

function parseNewline(text: string, format: ReplyFormat): SectigoReply {
  const lines = text.split(/\r?\n/)
  // A final newline leaves one empty element; it is not a line of the reply.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  const [status = '', ...rest] = lines
  const errorCode = toCode(status.trim())
  if (errorCode < 0) {
    const message = rest[0]?.trim()
    return {
      format,
      errorCode,
      ...(message ? { errorMessage: message } : {}),
      values: new Map(),
      lines: rest.slice(1)
    }
  }
  return { format, errorCode, values: new Map(), lines: rest }
}

function parseUrlEncoded(text: string): SectigoReply {
  // URLSearchParams applies form rules: `+` is a space, each value is decoded exactly once,
  // and empty segments (a trailing `&`) are skipped.
  const params = new URLSearchParams(text.trim())
  const values = new Map<string, string[]>()
  for (const [key, value] of params) {
    const list = values.get(key)
    if (list) list.push(value)
    else values.set(key, [value])
  }
  return fromValues('urlencoded', values)
}

/** A flat JSON object: scalar members become values, arrays of scalars several values of one key. */
function parseJson(text: string): SectigoReply {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new BadReplyError('is broken JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadReplyError('is JSON but not an object')
  const values = new Map<string, string[]>()
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const items = Array.isArray(value) ? value : [value]
    const scalars = items.filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v)).map(String)
    if (scalars.length > 0) values.set(key, scalars)
  }
  return fromValues('json', values)
}

function toCode(text: string): number {
  if (!CODE.test(text)) throw new BadReplyError('has a non-numeric errorCode')
  return Number(text)
}

/** The first value of a key in a URL-encoded reply. */
export function replyValue(reply: SectigoReply, key: string): string | undefined {
  return reply.values.get(key)?.[0]
}

/** A reply whose members are keys with values (URL-encoded or JSON): the code and the message members. */
function fromValues(format: 'urlencoded' | 'json', values: Map<string, string[]>): SectigoReply {
  const code = values.get('errorCode')?.[0]
  if (code === undefined) throw new BadReplyError('has no errorCode')
  const errorCode = toCode(code.trim())
  const first = (key: string) => values.get(key)?.[0]
  const errorMessage = first('errorMessage')
  const errorItem = first('errorItem')
  const errorDetail = first('errorDetail')
  return {
    format,
    errorCode,
    ...(errorMessage !== undefined ? { errorMessage } : {}),
    ...(errorItem ? { errorItem } : {}),
    ...(errorDetail ? { errorDetail } : {}),
    values,
    lines: []
  }
}
