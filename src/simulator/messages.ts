// Sectigo's error codes and messages, word for word from each endpoint's page. Where the two
// pages word the same code differently, each endpoint answers with its own page's text.

export interface SectigoError {
  readonly code: number
  readonly message: string
  /** The argument at fault, sent back as `errorItem` where the reply format has room for it. */
  readonly item?: string
}

const error = (code: number, message: string, item?: string): SectigoError =>
  item === undefined ? { code, message } : { code, message, item }

/** Codes worded alike on both pages. */
export const common = {
  notHttps: () => error(-1, 'Request was not made over https!'),
  missing: (name: string) => error(-3, `The '${name}' argument is missing!`, name),
  invalid: (name: string) => error(-4, `The value of the '${name}' argument is invalid!`, name),
  unknownError: () => error(-14, 'An unknown error occurred!'),
  login: () =>
    error(-16, 'Incorrect login details, account is locked, password has expired or your source IP is blocked.'),
  notPost: () => error(-17, 'Request used GET rather than POST!'),
  // Documented for other endpoints of the same API (upstream-notes.md).
  callLimit: () => error(-42, 'Call limit reached, please try again later')
}

export const dcvMessages = {
  unrecognised: (name: string) => error(-2, `'${name}' is an unrecognized argument!`, name),
  alreadyValidated: (item?: string) => error(-47, 'domainName is already validated!', item),
  voucher: (orderNumber: string) => error(-90, `Permission denied for using 'voucher' with '${orderNumber}'`),
  wildcard: (item: string) =>
    error(-126, 'HTTP(S) CSR Hash DCV Methods are not allowed to validate Wildcard Domain!', item),
  unexpectedState: () => error(-139, 'Unexpected certificate state!'),
  failed: () => error(-160, 'The attempt to update the DCV method(s) did not succeed.')
}

export const replaceMessages = {
  unrecognised: (name: string) => error(-2, 'Unrecognised argument!', name),
  country: (name: string, value: string) => error(-7, `'${value}' is not a valid ISO-3166 country!`, name),
  expired: () => error(-36, 'The certificate has already expired!'),
  // The page's own typography: curly quotes around voucher, straight ones around the value.
  voucher: (orderNumber: string) => error(-90, `Permission denied for using “voucher” with '${orderNumber}'`),
  permission: (orderNumber: string) => error(-91, `Permission denied! '${orderNumber}'`),
  csrDecoding: () => error(-110, 'CSR decoding Internal Error', 'csr'),
  noPrice: (orderNumber: string) => error(-115, `No price found for '${orderNumber}'`),
  failed: (orderNumber: string) => error(-160, `Failed to replace order #${orderNumber}.`),
  notApplicable: (name: string) => error(-161, `Parameter '${name}' is not applicable to this type of product!`, name),
  csrNotInDomainNames: () =>
    error(-162, 'The CSR must not contain domain names that are not in the "domainNames" parameter!', 'csr'),
  csrNotInCertificate: () =>
    error(-163, 'The CSR must not contain domain names that are not in the list of certificate domain names!', 'csr')
}
