import { PROBLEM_TYPES, type ProblemSlug, type ProblemType } from './problem-types.js'

/** One entry of `errors[]`: exactly one of pointer, parameter or header says where. */
export interface ProblemFieldError {
  pointer?: string
  parameter?: string
  header?: string
  detail: string
}

export interface SectigoErrorInfo {
  errorCode: number
  errorMessage?: string
  errorItem?: string
  errorDetail?: string
}

export interface ProblemOptions {
  detail?: string
  errors?: ProblemFieldError[]
  sectigo?: SectigoErrorInfo
  /** `unknown` when a call that may have reached Sectigo has no known result. */
  outcome?: 'unknown'
  /** Seconds; overrides the slug's fixed Retry-After. */
  retryAfter?: number
  headers?: Record<string, string>
}

/** The error every part of the service throws to answer with a problem+json body. */
export class ProblemError extends Error {
  readonly status: number
  readonly title: string

  constructor(
    readonly slug: ProblemSlug,
    readonly options: ProblemOptions = {}
  ) {
    super(options.detail ?? PROBLEM_TYPES[slug].title)
    this.name = 'ProblemError'
    this.status = PROBLEM_TYPES[slug].status
    this.title = PROBLEM_TYPES[slug].title
  }

  get retryAfter(): number | undefined {
    const fixed: ProblemType = PROBLEM_TYPES[this.slug]
    return this.options.retryAfter ?? fixed.retryAfter
  }
}

export function isProblemError(err: unknown): err is ProblemError {
  return err instanceof ProblemError
}
