import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { requestCycle } from '../../src/plugins/request-cycle.js'

async function appWithHold() {
  const app = Fastify()
  await app.register(requestCycle)
  const done: string[] = []
  let release: (() => void) | undefined
  app.onRequestDone((request) => done.push(request.url))
  app.get('/held', async (_request, reply) => {
    release = app.holdRequest(reply)
    return { ok: true }
  })
  app.get('/plain', async () => ({ ok: true }))
  await app.ready()
  return { app, done, release: () => release?.() }
}

describe('the request cycle', () => {
  it('counts a request in flight until it is answered and closed, then runs the done listeners once', async () => {
    const { app, done } = await appWithHold()
    const res = await app.inject('/plain')
    expect(res.headers['x-request-id']).toBeDefined()
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(done).toEqual(['/plain'])
    expect(app.lifecycle.inFlight).toBe(0)
    await app.close()
  })

  it('keeps a held request in flight, its listeners waiting, until the hold is released (once, however often it is called)', async () => {
    const { app, done, release } = await appWithHold()
    const res = await app.inject('/held')
    expect(res.statusCode).toBe(200)
    expect(app.lifecycle.inFlight).toBe(1)
    expect(done).toEqual([])
    let drained = false
    const drain = app.lifecycle.drained(5000).then((ok) => (drained = ok))
    await new Promise((r) => setTimeout(r, 20))
    expect(drained).toBe(false)
    release()
    release()
    expect(await drain).toBe(true)
    expect(done).toEqual(['/held'])
    expect(app.lifecycle.inFlight).toBe(0)
    await app.close()
  })

  it('refuses new requests with 503 while draining, but keeps answering /healthz', async () => {
    const app = Fastify()
    await app.register(requestCycle)
    app.setErrorHandler((err: Error & { status?: number }, _request, reply) => reply.code(err.status ?? 500).send({ slug: (err as { slug?: string }).slug }))
    app.get('/healthz', async () => ({ status: 'ok' }))
    app.get('/x', async () => ({ ok: true }))
    await app.ready()
    app.lifecycle.beginShutdown()
    const refused = await app.inject('/x')
    expect(refused.statusCode).toBe(503)
    expect(refused.headers.connection).toBe('close')
    expect((await app.inject('/healthz')).statusCode).toBe(200)
    expect(app.lifecycle.inFlight).toBe(0)
    await app.close()
  })
})
