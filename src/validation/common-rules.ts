import { ProblemError } from '../problems/problem-error.js'

/** A 400 for a rule JSON Schema cannot state, pointing at the member. */
export function validationProblem(pointer: string, detail: string): ProblemError {
  return new ProblemError('validation-failed', { detail: `${pointer} ${detail}`, errors: [{ pointer, detail }] })
}

/** A 422 `invalid-argument`: the service's twin of a Sectigo -4 or -7, before the call. */
export function invalidArgument(pointer: string, detail: string): ProblemError {
  return new ProblemError('invalid-argument', { detail: `${pointer}: ${detail}`, errors: [{ pointer, detail }] })
}

/** Refuses a domain listed twice (ignoring case); returns each lower-cased name's index. */
export function uniqueDomainNames(names: readonly string[]): Map<string, number> {
  const seen = new Map<string, number>()
  names.forEach((name, i) => {
    const first = seen.get(name.toLowerCase())
    if (first !== undefined) {
      throw validationProblem(`#/domains/${i}/domainName`, `repeats #/domains/${first}/domainName (names are compared ignoring case)`)
    }
    seen.set(name.toLowerCase(), i)
  })
  return seen
}
