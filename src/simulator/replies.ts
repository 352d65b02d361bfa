// How each endpoint writes its answer. AutoUpdateDCV always answers URL-encoded; AutoReplaceMC
// answers newline-positional lines (responseFormat 0) or URL-encoded pairs (responseFormat 1).

import type { SectigoError } from './messages.js'

export type Result<S> = { readonly ok: true; readonly value: S } | { readonly ok: false; readonly error: SectigoError }

export const success = <S>(value: S): Result<S> => ({ ok: true, value })
export const failure = <S>(error: SectigoError): Result<S> => ({ ok: false, error })

export interface WrittenReply {
  readonly contentType: string
  readonly body: string
}

export const URL_ENCODED = 'application/x-www-form-urlencoded'
export const TEXT_PLAIN = 'text/plain; charset=utf-8'

function errorPairs(error: SectigoError): URLSearchParams {
  const params = new URLSearchParams({ errorCode: String(error.code), errorMessage: error.message })
  if (error.item !== undefined) params.append('errorItem', error.item)
  return params
}

export function writeDcvReply(result: Result<void>): WrittenReply {
  const params = result.ok ? new URLSearchParams({ errorCode: '0' }) : errorPairs(result.error)
  return { contentType: URL_ENCODED, body: params.toString() }
}

export type ResponseFormat = 0 | 1

/** What a successful replacement returns; each member is present only when its show flag was Y. */
export interface ReplacementShown {
  readonly certificateStatus?: string
  readonly productTerm?: { readonly start: number; readonly end: number; readonly durationDays: number }
  readonly replOrderNumber?: string
}

export const replaceContentType = (format: ResponseFormat): string => (format === 1 ? URL_ENCODED : TEXT_PLAIN)

export function writeReplaceReply(format: ResponseFormat, result: Result<ReplacementShown>): WrittenReply {
  return format === 1 ? writeReplaceUrlEncoded(result) : writeReplaceLines(result)
}

function writeReplaceUrlEncoded(result: Result<ReplacementShown>): WrittenReply {
  if (!result.ok) return { contentType: URL_ENCODED, body: errorPairs(result.error).toString() }
  const shown = result.value
  const params = new URLSearchParams({ errorCode: '0' })
  if (shown.certificateStatus !== undefined) params.append('certificateStatus', shown.certificateStatus)
  if (shown.productTerm) {
    params.append('productTermStartDate', String(shown.productTerm.start))
    params.append('productTermEndDate', String(shown.productTerm.end))
    params.append('productTermDuration', String(shown.productTerm.durationDays))
  }
  if (shown.replOrderNumber !== undefined) params.append('replOrderNumber', shown.replOrderNumber)
  return { contentType: URL_ENCODED, body: params.toString() }
}

function writeReplaceLines(result: Result<ReplacementShown>): WrittenReply {
  if (!result.ok) {
    const lines = `${result.error.code}\n${result.error.message}`
    // The page's only newline error sample is -160, and it arrived percent-encoded
    // (`-160%0AFailed%20to%20replace…`): answer -160 that way so readers meet that form too.
    if (result.error.code === -160) return { contentType: TEXT_PLAIN, body: encodeURIComponent(lines) }
    return { contentType: TEXT_PLAIN, body: `${lines}\n` }
  }
  const shown = result.value
  const lines = ['0']
  if (shown.certificateStatus !== undefined) lines.push(shown.certificateStatus)
  if (shown.productTerm) lines.push(`${shown.productTerm.start} ${shown.productTerm.end}`)
  if (shown.replOrderNumber !== undefined) lines.push(shown.replOrderNumber)
  return { contentType: TEXT_PLAIN, body: lines.map((line) => `${line}\n`).join('') }
}

export const JSON_TYPE = 'application/json; charset=utf-8'

/** The read endpoints' `responseFormat`: 1 (their default, text or URL-encoded) or 2 (JSON). */
export type ReadFormat = 1 | 2

function errorObject(error: SectigoError): Record<string, string | number> {
  return { errorCode: error.code, errorMessage: error.message, ...(error.item === undefined ? {} : { errorItem: error.item }) }
}

/**
 * Replies made of (key, value) pairs: URL-encoded for format 1, a flat JSON object for 2 (keys
 * that repeat become an array). ResendDCVEmail, GetMDCDomainDetails and GetDetailedOrderStatus.
 */
export function writePairsReply(format: ReadFormat, result: Result<ReadonlyArray<readonly [string, string]>>): WrittenReply {
  if (format === 2) {
    if (!result.ok) return { contentType: JSON_TYPE, body: JSON.stringify(errorObject(result.error)) }
    const out: Record<string, string | number | string[]> = { errorCode: 0 }
    for (const [key, value] of result.value) {
      const had = out[key]
      out[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [String(had), value]
    }
    return { contentType: JSON_TYPE, body: JSON.stringify(out) }
  }
  if (!result.ok) return { contentType: URL_ENCODED, body: errorPairs(result.error).toString() }
  const params = new URLSearchParams({ errorCode: '0' })
  for (const [key, value] of result.value) params.append(key, value)
  return { contentType: URL_ENCODED, body: params.toString() }
}

/**
 * GetDCVEmailAddressList's format 1: a status line, then `key<TAB>value` lines (on an error, the
 * message on line 2). Format 2 is the same keys as one JSON object.
 */
export function writeListReply(format: ReadFormat, result: Result<ReadonlyArray<readonly [string, string]>>): WrittenReply {
  if (format === 2) return writePairsReply(2, result)
  if (!result.ok) return { contentType: TEXT_PLAIN, body: `${result.error.code}\n${result.error.message}\n` }
  const lines = ['0', ...result.value.map(([key, value]) => `${key}\t${value}`)]
  return { contentType: TEXT_PLAIN, body: lines.map((line) => `${line}\n`).join('') }
}
