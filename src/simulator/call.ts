// What both endpoints share: the call's inputs, the possible outcomes, and the first checks
// (method, names, required arguments, login, repeats), in the order the contract gives.

import type { FormArguments } from './form.js'
import { common, type SectigoError } from './messages.js'
import type { Fault, Order, OrderBook, SimulatedEndpoint } from './order-book.js'
import type { Result } from './replies.js'

export interface Account {
  readonly loginName: string
  readonly loginPassword: string
}

export interface Call {
  readonly method: string
  readonly args: FormArguments
  readonly book: OrderBook
  readonly account: Account
  /** UNIX seconds. */
  readonly now: () => number
}

/**
 * What an endpoint decided: an answer in Sectigo's format, a broken HTTP reply, or an answer
 * given only after the slow order's wait (`settle` runs then, so any change to the book
 * happens when the answer goes out).
 */
export type Outcome<S> =
  | { readonly type: 'answer'; readonly result: Result<S> }
  | { readonly type: 'broken'; readonly fault: 'http-500' | 'unparsable-body' }
  | { readonly type: 'slow'; readonly settle: () => Result<S> }

export const answer = <S>(result: Result<S>): Outcome<S> => ({ type: 'answer', result })
export const answerError = <S>(error: SectigoError): Outcome<S> => answer({ ok: false, error })

export interface EndpointRules {
  readonly known: ReadonlySet<string>
  readonly required: readonly string[]
  readonly unrecognised: (name: string) => SectigoError
}

/** -17, -2, -3, -16, then a repeated argument (-4): the checks made before any order is read. */
export function firstChecks(call: Call, rules: EndpointRules): SectigoError | undefined {
  if (call.method !== 'POST') return common.notPost()
  const unknown = call.args.firstUnknown(rules.known)
  if (unknown !== undefined) return rules.unrecognised(unknown)
  // An empty value is as good as none for a required argument.
  const missing = rules.required.find((name) => !call.args.get(name))
  if (missing !== undefined) return common.missing(missing)
  if (call.args.get('loginName') !== call.account.loginName || call.args.get('loginPassword') !== call.account.loginPassword) {
    return common.login()
  }
  // After the login, so a wrong password is always -16; before the lookup, which needs one value.
  const repeated = call.args.firstRepeated()
  if (repeated !== undefined) return common.invalid(repeated)
  return undefined
}

/**
 * A fault order's answer, given right after the lookup whatever the other arguments say.
 * `failed` is the endpoint's own -160; `slowSuccess` is what the slow order answers at last.
 */
export function faultOutcome<S>(fault: Fault, failed: SectigoError, slowSuccess: () => Result<S>): Outcome<S> {
  switch (fault) {
    case 'slow':
      return { type: 'slow', settle: slowSuccess }
    case 'http-500':
    case 'unparsable-body':
      return { type: 'broken', fault }
    case 'not-https':
      return answerError(common.notHttps())
    case 'unknown-error':
      return answerError(common.unknownError())
    case 'call-limit':
      return answerError(common.callLimit())
    case 'operation-failed':
      return answerError(failed)
  }
}

/** Records a successful call on the order, without the account's credentials. */
export function recordCall(order: Order, endpoint: SimulatedEndpoint, call: Call): void {
  order.calls.push({ endpoint, arguments: call.args.toRecord(CREDENTIALS) })
}

const CREDENTIALS: ReadonlySet<string> = new Set(['loginName', 'loginPassword'])
