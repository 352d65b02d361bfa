// Arguments the read endpoints share: the reply format and a Y/N flag.

import type { FormArguments } from './form.js'
import { common, type SectigoError } from './messages.js'
import type { ReadFormat } from './replies.js'

/** `responseFormat`: 1 when absent (every read page's default), 1 or 2 when sent, else -4. */
export function readFormat(args: FormArguments): ReadFormat | SectigoError {
  const value = args.get('responseFormat')
  if (value === undefined) return 1
  if (value === '1') return 1
  if (value === '2') return 2
  return common.invalid('responseFormat')
}

/** The format to answer an early error in: the one asked for when it can be told, else 1. */
export function formatForErrors(args: FormArguments): ReadFormat {
  const format = readFormat(args)
  return typeof format === 'number' ? format : 1
}

/** A Y/N flag when sent. */
export function badFlag(args: FormArguments, name: string): SectigoError | undefined {
  const value = args.get(name)
  return value === undefined || value === 'Y' || value === 'N' ? undefined : common.invalid(name)
}
