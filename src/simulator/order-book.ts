// The simulator's orders: seeded at construction and on reset, changed by successful calls.

import { seedOrders } from './seed-orders.js'

export type ProductKind = 'SSL' | 'VMC' | 'CMC'
export type OrderStatus = 'Pending Validation' | 'Issued' | 'On Hold' | 'Expired'
export type DcvMethod = 'EMAIL' | 'HTTP_CSR_HASH' | 'HTTPS_CSR_HASH' | 'CNAME_CSR_HASH'

/** Orders that stand for a failure of Sectigo itself rather than for an order's state. */
export type Fault =
  | 'slow'
  | 'http-500'
  | 'unparsable-body'
  | 'not-https'
  | 'unknown-error'
  | 'call-limit'
  | 'operation-failed'

/** Account-level refusals: -90 (voucher), -91 (permission), -115 (no price). */
export type Denial = 'voucher' | 'permission' | 'no-price'

export interface DomainState {
  name: string
  method: DcvMethod | null
  email: string | null
  validated: boolean
}

export interface ProductTerm {
  start: number
  end: number
  durationDays: number
}

export type SimulatedEndpoint = '!AutoUpdateDCV' | '!AutoReplaceMC' | '!ResendDCVEmail'

export interface RecordedCall {
  endpoint: SimulatedEndpoint
  /** The arguments of the successful call, without loginName and loginPassword. */
  arguments: Record<string, string>
}

export interface Order {
  orderNumber: string
  baseOrderNumber?: string
  kind: ProductKind
  multiDomain: boolean
  status: OrderStatus
  domains: DomainState[]
  fault?: Fault
  denial?: Denial
  foreignOrderNumber?: string
  productTerm?: ProductTerm
  /** Set on orders made by AutoReplaceMC. */
  replacedOrderNumber?: string
  replacements: string[]
  calls: RecordedCall[]
  /**
   * The walkable order: once a DCV e-mail is sent (AutoUpdateDCV to EMAIL, or ResendDCVEmail),
   * its EMAIL domains validate at this many-th status read (GetMDCDomainDetails or
   * GetDetailedOrderStatus) after it.
   */
  validateAfterReads?: number
  /** Status reads still to come before the EMAIL domains validate; null when no e-mail is out. */
  readsUntilValidated?: number | null
}

export const FIRST_REPLACEMENT_ORDER_NUMBER = 3000001
export const REPLACEMENT_TERM_DAYS = 365

export interface NewReplacement {
  domains: DomainState[]
  foreignOrderNumber?: string
  /** UNIX seconds. */
  now: number
}

export class OrderBook {
  private orders = new Map<string, Order>()
  private nextReplacement = FIRST_REPLACEMENT_ORDER_NUMBER

  constructor() {
    this.reset()
  }

  /** Back to the seeded orders. */
  reset(): void {
    this.orders = new Map(seedOrders().map((order) => [order.orderNumber, order]))
    this.nextReplacement = FIRST_REPLACEMENT_ORDER_NUMBER
  }

  find(orderNumber: string): Order | undefined {
    return this.orders.get(orderNumber)
  }

  findByBaseOrderNumber(baseOrderNumber: string): Order | undefined {
    return [...this.orders.values()].find((order) => order.baseOrderNumber === baseOrderNumber)
  }

  list(): Order[] {
    return [...this.orders.values()]
  }

  hasForeignOrderNumber(foreignOrderNumber: string): boolean {
    return this.list().some((order) => order.foreignOrderNumber === foreignOrderNumber)
  }

  /** A replacement is a new order of the same product, pending validation, with a fresh term. */
  createReplacement(original: Order, replacement: NewReplacement): Order {
    const orderNumber = String(this.nextReplacement++)
    const order: Order = {
      orderNumber,
      kind: original.kind,
      multiDomain: replacement.domains.length > 1,
      status: 'Pending Validation',
      domains: replacement.domains,
      ...(replacement.foreignOrderNumber === undefined ? {} : { foreignOrderNumber: replacement.foreignOrderNumber }),
      productTerm: {
        start: replacement.now,
        end: replacement.now + REPLACEMENT_TERM_DAYS * 86_400,
        durationDays: REPLACEMENT_TERM_DAYS
      },
      replacedOrderNumber: original.orderNumber,
      replacements: [],
      calls: []
    }
    this.orders.set(orderNumber, order)
    original.replacements.push(orderNumber)
    return order
  }
}

/** A DCV e-mail went out: on the walkable order, start counting status reads. */
export function emailSent(order: Order): void {
  if (order.validateAfterReads !== undefined) order.readsUntilValidated = order.validateAfterReads
}

/** A status read of the order: on the walkable order, the countdown may end in validation. */
export function statusRead(order: Order, now: number): void {
  if (order.readsUntilValidated === undefined || order.readsUntilValidated === null) return
  order.readsUntilValidated -= 1
  if (order.readsUntilValidated > 0) return
  order.readsUntilValidated = null
  for (const domain of order.domains) if (domain.method === 'EMAIL') domain.validated = true
  settleIfValidated(order, now)
}

/** Every domain validated (the admin call): the order is then issued, with a fresh term. */
export function validateAll(order: Order, now: number): void {
  for (const domain of order.domains) domain.validated = true
  order.readsUntilValidated = null
  settleIfValidated(order, now)
}

function settleIfValidated(order: Order, now: number): void {
  if (order.status !== 'Pending Validation' || !order.domains.every((domain) => domain.validated)) return
  order.status = 'Issued'
  order.productTerm ??= { start: now, end: now + REPLACEMENT_TERM_DAYS * 86_400, durationDays: REPLACEMENT_TERM_DAYS }
}

/** The JSON view of an order for `GET /__simulator/orders/:orderNumber`. */
export interface OrderView {
  orderNumber: string
  baseOrderNumber: string | null
  kind: ProductKind
  multiDomain: boolean
  status: OrderStatus
  fault: Fault | null
  denial: Denial | null
  domains: Array<{ domainName: string; method: DcvMethod | null; email: string | null; validated: boolean }>
  foreignOrderNumber: string | null
  productTerm: ProductTerm | null
  replacedOrderNumber: string | null
  replacements: string[]
  calls: RecordedCall[]
}

export function viewOrder(order: Order): OrderView {
  return {
    orderNumber: order.orderNumber,
    baseOrderNumber: order.baseOrderNumber ?? null,
    kind: order.kind,
    multiDomain: order.multiDomain,
    status: order.status,
    fault: order.fault ?? null,
    denial: order.denial ?? null,
    domains: order.domains.map((d) => ({ domainName: d.name, method: d.method, email: d.email, validated: d.validated })),
    foreignOrderNumber: order.foreignOrderNumber ?? null,
    productTerm: order.productTerm ? { ...order.productTerm } : null,
    replacedOrderNumber: order.replacedOrderNumber ?? null,
    replacements: [...order.replacements],
    calls: order.calls.map((call) => ({ endpoint: call.endpoint, arguments: { ...call.arguments } }))
  }
}
