// Routes for people and tests, outside Sectigo's API: liveness, a reset, and a view of the book.

import type { FastifyInstance } from 'fastify'
import { validateAll, viewOrder, type OrderBook } from './order-book.js'

export function registerAdminRoutes(app: FastifyInstance, book: OrderBook): void {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.post('/__simulator/reset', async (_request, reply) => {
    book.reset()
    return reply.code(204).send()
  })

  app.get('/__simulator/orders', async () => ({ orders: book.list().map(viewOrder) }))

  app.get<{ Params: { orderNumber: string } }>('/__simulator/orders/:orderNumber', async (request, reply) => {
    const order = book.find(request.params.orderNumber)
    if (!order) return reply.code(404).send({ error: 'order not found', orderNumber: request.params.orderNumber })
    return viewOrder(order)
  })

  // Validates every domain of an order at once (and issues it), for walking the DCV workflow
  // without waiting for the status-read countdown.
  app.post<{ Params: { orderNumber: string } }>('/__simulator/orders/:orderNumber/validate', async (request, reply) => {
    const order = book.find(request.params.orderNumber)
    if (!order) return reply.code(404).send({ error: 'order not found', orderNumber: request.params.orderNumber })
    validateAll(order, Math.floor(Date.now() / 1000))
    return viewOrder(order)
  })
}
