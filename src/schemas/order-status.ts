import { Type, type Static } from '@sinclair/typebox'
import { ORDER_STATUS_FIELDS, REPLY_KEYS } from '../sectigo/fields.js'
import { StringEnum, upstream } from './common.js'

export const ORDER_STATES = ['PENDING', 'ISSUED', 'ON_HOLD', 'EXPIRED', 'REVOKED', 'CANCELLED', 'UNKNOWN'] as const
export type OrderState = (typeof ORDER_STATES)[number]

const K = REPLY_KEYS.orderStatus

export const OrderStatusResult = Type.Object(
  {
    orderNumber: Type.String({ examples: ['2000001'], ...upstream(ORDER_STATUS_FIELDS.orderNumber.name) }),
    state: StringEnum(ORDER_STATES, {
      description: 'The certificate status as an enumeration; `UNKNOWN` when Sectigo uses words this service does not know (see `certificateStatus`).',
      ...upstream(K.certificateStatus)
    }),
    certificateStatus: Type.String({ description: "Sectigo's own words for the certificate status.", examples: ['Issued'], ...upstream(K.certificateStatus) }),
    validationStatus: Type.Optional(Type.String({ description: "Sectigo's validation status, when it gives one.", examples: ['Validated'], ...upstream(K.validationStatus) })),
    validity: Type.Optional(
      Type.Object(
        {
          notBefore: Type.Optional(Type.String({ format: 'date-time', examples: ['2025-01-01T00:00:00Z'], ...upstream(K.notBefore) })),
          notAfter: Type.Optional(Type.String({ format: 'date-time', examples: ['2026-01-01T00:00:00Z'], ...upstream(K.notAfter) }))
        },
        { description: "The certificate's validity period, once there is one." }
      )
    ),
    replacementOrders: Type.Array(
      Type.Object({ orderNumber: Type.String({ examples: ['3000001'], ...upstream(`N_${K.replacementOrderNumber}`) }) }),
      { description: 'Orders that replaced this one (for instance by `POST /orders/{orderNumber}/replacement`); each can be read with this route.' }
    )
  },
  {
    $id: 'OrderStatusResult',
    description: "An order's status, validity and replacement orders (GetDetailedOrderStatus).",
    examples: [{ orderNumber: '2000001', state: 'ISSUED', certificateStatus: 'Issued', validationStatus: 'Validated', replacementOrders: [{ orderNumber: '3000001' }] }]
  }
)
export type OrderStatusResult = Static<typeof OrderStatusResult>

export const ORDER_STATUS_SCHEMAS = [OrderStatusResult]
