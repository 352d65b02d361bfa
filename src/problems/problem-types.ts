// The one table of problem types: slug → status, title, and the text of its documentation page.
// Sectigo codes behind each slug come from src/sectigo/error-codes.ts, so they are never listed twice.

export interface ProblemType {
  status: number
  title: string
  /** What happened, for the documentation page. */
  meaning: string
  /** What the caller should do about it. */
  action: string
  /** Seconds for `Retry-After`, when the slug always carries one. */
  retryAfter?: number
}

export const PROBLEM_TYPES = {
  'validation-failed': {
    status: 400,
    title: 'Request validation failed',
    meaning:
      'The request does not match the schema: a wrong type, enum, length, pattern or format, a required or forbidden member, an unknown member, malformed JSON, a bad path parameter or a bad Idempotency-Key header.',
    action: 'Fix the members listed in `errors` (JSON pointers, `parameter` or `header`) and send again.'
  },
  'malformed-request': {
    status: 400,
    title: 'Malformed HTTP request',
    meaning:
      'The HTTP request itself cannot be read: an invalid method or path (a lower-case method, raw non-ASCII bytes or a bad percent-escape in the path), Content-Length together with Transfer-Encoding, or another violation of HTTP/1.1. The connection is closed.',
    action: 'Fix the client or the proxy in front of it; use a standard HTTP library and percent-encode the path.'
  },
  'request-timeout': {
    status: 408,
    title: 'Request timeout',
    meaning: 'The request did not arrive in time: its headers within 15 s, or the whole request within 30 s. The connection is closed.',
    action: 'Send the request at once; check the network between the client and the service.'
  },
  'request-header-fields-too-large': {
    status: 431,
    title: 'Request header fields too large',
    meaning: "The request line and headers together exceed Node's limit of 16 KiB (a very long query string counts too). The connection is closed.",
    action: 'Send shorter headers and a shorter URL; no route of the service needs a query string beyond `dryRun`.'
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    meaning: 'The request has no `Authorization: Bearer` key, or the key is not known to the service.',
    action: 'Send a valid API key in `Authorization: Bearer <key>`.'
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    meaning: "The API key is valid but lacks the route's scope (`dcv:write`, `dcv:read`, `orders:read` or `replacement:write`).",
    action: 'Ask the operators for a key with the needed scope.'
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    meaning: 'No route answers this path.',
    action: 'Check the path against the OpenAPI document at /openapi.json.'
  },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    meaning: 'The path exists but does not answer this HTTP method. The `Allow` header lists the methods it does answer.',
    action: 'Use one of the methods in `Allow`.'
  },
  'idempotency-key-in-use': {
    status: 409,
    title: 'Idempotency key in use',
    meaning: 'A request with the same Idempotency-Key from the same caller is still being processed.',
    action: 'Wait for the first request to finish, then repeat to receive its stored answer.'
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    meaning: 'The request body is larger than the limit the service accepts (BODY_LIMIT_BYTES).',
    action: 'Send a smaller body; a mark logo or CSR larger than 32,767 characters is refused by Sectigo anyway.'
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    meaning: 'The body is not `application/json`.',
    action: 'Send the body as JSON with `Content-Type: application/json`.'
  },
  'idempotency-key-reused': {
    status: 422,
    title: 'Idempotency key reused',
    meaning: 'The Idempotency-Key was already used by this caller for a different request (another method, path or body).',
    action: 'Use a new Idempotency-Key for a new request.'
  },
  'rate-limited': {
    status: 429,
    title: 'Too many requests',
    meaning: 'This caller has used up its budget of calls for the current window.',
    action: 'Wait for the number of seconds in `Retry-After`.'
  },
  'invalid-argument': {
    status: 422,
    title: 'Invalid argument',
    meaning:
      'Sectigo (or the service on its behalf, before the call) found a value it will not accept: an unknown ISO 3166 country, a date that does not exist, a missing or invalid argument, an order that is unknown or already issued.',
    action: 'Correct the member named in `errors` (or the order number) and send again.'
  },
  'certificate-expired': {
    status: 409,
    title: 'Certificate expired',
    meaning: 'The certificate of this order has already expired; Sectigo will not replace it.',
    action: 'Place a new order instead of a replacement.'
  },
  'domain-already-validated': {
    status: 409,
    title: 'Domain already validated',
    meaning: 'The domain has already passed domain control validation; its method can no longer be changed.',
    action: 'Nothing to do for this domain.'
  },
  'permission-denied': {
    status: 403,
    title: 'Permission denied at Sectigo',
    meaning: "Sectigo refused the action for the service's account (for instance a voucher that cannot be used here).",
    action: "Ask the account's administrators; repeating the call will not help."
  },
  'invalid-csr': {
    status: 422,
    title: 'Invalid CSR',
    meaning: 'The certificate signing request could not be decoded.',
    action: 'Send a PKCS#10 CSR in PEM (with or without header and footer) or bare base64.'
  },
  'no-price-found': {
    status: 422,
    title: 'No price found',
    meaning: 'Sectigo has no price for what the request asks for on this account.',
    action: "Ask the account's administrators to check the product and pricing."
  },
  'wildcard-http-dcv-not-allowed': {
    status: 422,
    title: 'Wildcard domain cannot use HTTP(S) DCV',
    meaning: 'A wildcard domain cannot be validated by the HTTP_CSR_HASH or HTTPS_CSR_HASH methods.',
    action: 'Use EMAIL or CNAME_CSR_HASH for wildcard domains.'
  },
  'unexpected-certificate-state': {
    status: 409,
    title: 'Unexpected certificate state',
    meaning: "The order's certificate is in a state that does not allow this change.",
    action: "Check the order's state in the Sectigo portal before trying again."
  },
  'parameter-not-applicable': {
    status: 422,
    title: 'Parameter not applicable',
    meaning: "A member does not apply to this order's product type (for instance a trademark on a CMC).",
    action: 'Remove the member named in the message and send again.'
  },
  'csr-domain-mismatch': {
    status: 422,
    title: 'CSR names do not match the domains',
    meaning: "The CSR names a domain (CN or SAN) that is not in `domains`, or not among the certificate's domains.",
    action: 'Make the CSR and `domains` name the same domains.'
  },
  'upstream-operation-failed': {
    status: 502,
    title: 'Sectigo could not complete the operation',
    meaning: 'Sectigo answered that the update or replacement did not succeed.',
    action: 'Try again later; if it persists, contact Sectigo support with the order number.'
  },
  'upstream-authentication-failed': {
    status: 502,
    title: "Sectigo refused the service's credentials",
    meaning:
      "Sectigo refused the service's own login: wrong or expired password, a locked account, or a source IP outside the account's allow-list. It is not about the caller's key.",
    action: 'Report it to the operators of this service; repeating the call will not help.'
  },
  'upstream-rejected-request': {
    status: 502,
    title: 'Sectigo rejected the request the service built',
    meaning:
      'Sectigo refused a field that the service itself controls (credentials, response format, an argument name), or the request was not made over https or by POST.',
    action: 'Report it to the operators of this service with the requestId.'
  },
  'upstream-rate-limited': {
    status: 503,
    title: 'Sectigo call limit reached',
    meaning: "Sectigo's call limit for the account has been reached.",
    action: 'Wait for the number of seconds in `Retry-After`.',
    retryAfter: 60
  },
  'upstream-error': {
    status: 502,
    title: 'Sectigo reported an error',
    meaning: 'Sectigo answered with an unknown error, or with an error code the service does not know.',
    action: 'Try again later; if it persists, contact the operators with the requestId.'
  },
  'upstream-bad-response': {
    status: 502,
    title: 'Bad response from Sectigo',
    meaning:
      'Sectigo answered with an HTTP error, a body without an error code, a body that cannot be parsed or is larger than 1 MiB, or the connection was lost after the request was sent. When `outcome` is `unknown`, the change may have been made.',
    action: 'Check the order before repeating a replacement: the change may have been made.'
  },
  'upstream-unavailable': {
    status: 503,
    title: 'Sectigo unavailable',
    meaning: 'The service could not connect to Sectigo, or too many calls are already waiting for a connection. Nothing was sent.',
    action: 'Retry after the number of seconds in `Retry-After`.',
    retryAfter: 2
  },
  'upstream-timeout': {
    status: 504,
    title: 'Sectigo did not answer in time',
    meaning: 'Sectigo did not answer within SECTIGO_TIMEOUT_MS. The outcome is unknown: the change may have been made.',
    action: 'Check the order before repeating a replacement; repeat with the same Idempotency-Key to get the stored answer.'
  },
  'service-unavailable': {
    status: 503,
    title: 'Service unavailable',
    meaning: 'The service is starting, shutting down, overloaded, or its idempotency store is full or unreachable.',
    action: 'Retry after the number of seconds in `Retry-After`, possibly on another replica.',
    retryAfter: 5
  },
  'internal-error': {
    status: 500,
    title: 'Internal error',
    meaning: 'Something unexpected went wrong inside the service. The details are in its logs under the requestId.',
    action: 'Report it to the operators with the requestId.'
  }
} as const satisfies Record<string, ProblemType>

export type ProblemSlug = keyof typeof PROBLEM_TYPES

export const PROBLEM_SLUGS = Object.keys(PROBLEM_TYPES) as ProblemSlug[]

export function isProblemSlug(value: string): value is ProblemSlug {
  return Object.hasOwn(PROBLEM_TYPES, value)
}
