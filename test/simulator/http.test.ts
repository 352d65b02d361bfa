import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { LOGIN, simulator, type OrderView } from './helpers.js'

// One simulator on a real loopback socket, used the way sandbox mode and the end-to-end tests use it.
let sim: FastifyInstance
let origin: string
beforeAll(async () => {
  sim = await simulator()
  await sim.listen({ host: '127.0.0.1', port: 0 })
  origin = `http://127.0.0.1:${(sim.server.address() as { port: number }).port}`
})
afterAll(async () => {
  await sim.close()
})

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

async function postForm(path: string, fields: Record<string, string>) {
  const response = await request(`${origin}${path}`, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() })
  return { status: response.statusCode, contentType: response.headers['content-type'], body: await response.body.text() }
}

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await request(`${origin}${path}`)
  return { status: response.statusCode, body: (await response.body.json()) as T }
}

describe('the simulator over a real socket', () => {
  it('routes /products/!AutoUpdateDCV, with the ! as sent or percent-encoded', async () => {
    const fields = { ...LOGIN, orderNumber: '1000001', newMethod: 'CNAME_CSR_HASH' }
    expect(await postForm('/products/!AutoUpdateDCV', fields)).toEqual({
      status: 200,
      contentType: 'application/x-www-form-urlencoded',
      body: 'errorCode=0'
    })
    expect((await postForm('/products/%21AutoUpdateDCV', fields)).body).toBe('errorCode=0')
  })

  it('routes /products/!AutoReplaceMC, and answers GET with -17', async () => {
    const reply = await postForm('/products/!AutoReplaceMC', { ...LOGIN, orderNumber: '2000002', responseFormat: '1', showReplOrderNumber: 'Y' })
    expect(new URLSearchParams(reply.body).get('errorCode')).toBe('0')
    const get = await request(`${origin}/products/!AutoReplaceMC?${new URLSearchParams({ ...LOGIN, orderNumber: '2000002' })}`)
    expect(await get.body.text()).toBe('-17\nRequest used GET rather than POST!\n')
  })

  it('answers 404 outside the two endpoints', async () => {
    const response = await request(`${origin}/products/!AutoApplyOrder`, { method: 'POST', headers: FORM, body: 'a=b' })
    expect(response.statusCode).toBe(404)
    await response.body.dump()
  })

  it('serves GET /healthz', async () => {
    expect(await getJson('/healthz')).toEqual({ status: 200, body: { status: 'ok' } })
  })

  it('shows an order, lists the book, and answers 404 JSON for an unknown order', async () => {
    const view = await getJson<OrderView>('/__simulator/orders/1000002')
    expect(view.status).toBe(200)
    expect(view.body).toMatchObject({ orderNumber: '1000002', kind: 'SSL', status: 'Pending Validation', multiDomain: true })
    expect(view.body.domains.map((d) => d.domainName)).toEqual(['example.com', 'www.example.com', 'shop.example.com', '*.example.org'])
    const list = await getJson<{ orders: OrderView[] }>('/__simulator/orders')
    expect(list.body.orders.map((o) => o.orderNumber)).toEqual(
      expect.arrayContaining(['1000001', '1000006', '2000001', '2000006', '9000001', '9000007'])
    )
    expect(await getJson('/__simulator/orders/1234')).toEqual({ status: 404, body: { error: 'order not found', orderNumber: '1234' } })
  })

  it('restores the seeded book on POST /__simulator/reset', async () => {
    await postForm('/products/!AutoUpdateDCV', { ...LOGIN, orderNumber: '1000004', domainName: 'www.example.net', newMethod: 'HTTP_CSR_HASH' })
    await postForm('/products/!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001' })
    expect((await getJson<OrderView>('/__simulator/orders/1000004')).body.domains[1]?.method).toBe('HTTP_CSR_HASH')
    const replacements = (await getJson<OrderView>('/__simulator/orders/2000001')).body.replacements
    expect(replacements.length).toBeGreaterThan(0)

    const reset = await request(`${origin}/__simulator/reset`, { method: 'POST' })
    expect(reset.statusCode).toBe(204)
    await reset.body.dump()

    expect((await getJson<OrderView>('/__simulator/orders/1000004')).body.domains[1]?.method).toBe('EMAIL')
    expect((await getJson<OrderView>('/__simulator/orders/2000001')).body.replacements).toEqual([])
    expect((await getJson('/__simulator/orders/3000001')).status).toBe(404)
    const again = await postForm('/products/!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', showReplOrderNumber: 'Y' })
    expect(again.body).toBe('0\n3000001\n')
  })

  it('lets a replacement order take AutoUpdateDCV calls (a pending mark certificate)', async () => {
    const replaced = await postForm('/products/!AutoReplaceMC', { ...LOGIN, orderNumber: '2000001', responseFormat: '1', showReplOrderNumber: 'Y' })
    const replacement = new URLSearchParams(replaced.body).get('replOrderNumber') ?? ''
    const answer = await postForm('/products/!AutoUpdateDCV', { ...LOGIN, orderNumber: replacement, domainName: 'www.brand.example', newMethod: 'CNAME_CSR_HASH', dcvTemplateID: '3' })
    expect(answer.body).toBe('errorCode=0')
    const view = await getJson<OrderView>(`/__simulator/orders/${replacement}`)
    expect(view.body.domains.find((d) => d.domainName === 'www.brand.example')?.method).toBe('CNAME_CSR_HASH')
  })
})
