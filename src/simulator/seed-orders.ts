// The seeded order book. The numbers are part of the contract: the README and the end-to-end
// tests name them, so change them only together.

import type { DcvMethod, DomainState, Order } from './order-book.js'

function domain(name: string, method: DcvMethod | null, email: string | null = null, validated = false): DomainState {
  return { name, method, email, validated }
}

const emailDomain = (name: string, email: string, validated = false) => domain(name, 'EMAIL', email, validated)

function order(fields: Omit<Order, 'replacements' | 'calls' | 'multiDomain'>): Order {
  return { ...fields, multiDomain: fields.domains.length > 1, replacements: [], calls: [] }
}

/** A fresh copy of the seeded orders (each call builds new objects, so a reset undoes every change). */
export function seedOrders(): Order[] {
  return [
    // SSL orders, for AutoUpdateDCV.
    order({
      orderNumber: '1000001',
      baseOrderNumber: '5000001',
      kind: 'SSL',
      status: 'Pending Validation',
      domains: [emailDomain('www.example.com', 'admin@example.com')]
    }),
    order({
      orderNumber: '1000002',
      baseOrderNumber: '5000002',
      kind: 'SSL',
      status: 'Pending Validation',
      domains: [
        emailDomain('example.com', 'admin@example.com'),
        emailDomain('www.example.com', 'admin@example.com'),
        domain('shop.example.com', 'CNAME_CSR_HASH'),
        emailDomain('*.example.org', 'admin@example.org')
      ]
    }),
    order({ orderNumber: '1000003', kind: 'SSL', status: 'Issued', domains: [domain('issued.example.com', 'HTTP_CSR_HASH', null, true)] }),
    order({
      orderNumber: '1000004',
      kind: 'SSL',
      status: 'Pending Validation',
      domains: [emailDomain('example.net', 'admin@example.net', true), emailDomain('www.example.net', 'admin@example.net')]
    }),
    order({ orderNumber: '1000005', kind: 'SSL', status: 'On Hold', domains: [emailDomain('hold.example.com', 'admin@hold.example.com')] }),
    // The walkable order of the README's workflow: its EMAIL domain validates at the second
    // status read after a DCV e-mail was sent.
    order({
      orderNumber: '1000007',
      baseOrderNumber: '5000007',
      kind: 'SSL',
      status: 'Pending Validation',
      domains: [emailDomain('mail.example.com', 'admin@mail.example.com')],
      validateAfterReads: 2,
      readsUntilValidated: null
    }),
    order({
      orderNumber: '1000006',
      kind: 'SSL',
      status: 'Pending Validation',
      denial: 'voucher',
      domains: [emailDomain('voucher.example.com', 'admin@voucher.example.com')]
    }),

    // Mark certificates, for AutoReplaceMC.
    order({
      orderNumber: '2000001',
      kind: 'VMC',
      status: 'Issued',
      domains: [
        emailDomain('brand.example', 'admin@brand.example', true),
        emailDomain('www.brand.example', 'admin@brand.example', true)
      ]
    }),
    order({ orderNumber: '2000002', kind: 'CMC', status: 'Issued', domains: [emailDomain('mark.example', 'admin@mark.example', true)] }),
    order({ orderNumber: '2000003', kind: 'VMC', status: 'Expired', domains: [emailDomain('expired.example', 'admin@expired.example', true)] }),
    order({
      orderNumber: '2000004',
      kind: 'VMC',
      status: 'Issued',
      denial: 'no-price',
      domains: [emailDomain('noprice.example', 'admin@noprice.example', true)]
    }),
    order({
      orderNumber: '2000005',
      kind: 'VMC',
      status: 'Issued',
      denial: 'voucher',
      domains: [emailDomain('voucher.example', 'admin@voucher.example', true)]
    }),
    order({
      orderNumber: '2000006',
      kind: 'VMC',
      status: 'Issued',
      denial: 'permission',
      domains: [emailDomain('denied.example', 'admin@denied.example', true)]
    }),

    // Fault orders: they answer their fault on either endpoint, once the order is found.
    order({ orderNumber: '9000001', kind: 'VMC', status: 'Issued', fault: 'slow', domains: [emailDomain('slow.example', 'admin@slow.example', true)] }),
    ...(
      [
        ['9000002', 'http-500'],
        ['9000003', 'unparsable-body'],
        ['9000004', 'not-https'],
        ['9000005', 'unknown-error'],
        ['9000006', 'call-limit'],
        ['9000007', 'operation-failed']
      ] as const
    ).map(([orderNumber, fault]) =>
      order({ orderNumber, kind: 'VMC', status: 'Issued', fault, domains: [emailDomain('fault.example', 'admin@fault.example', true)] })
    )
  ]
}
