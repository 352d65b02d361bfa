import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { check, healthcheckUrl } from '../../src/healthcheck.js'

describe('healthcheckUrl', () => {
  it('asks /healthz on 127.0.0.1 and PORT when the service listens on every interface', () => {
    expect(healthcheckUrl([], { HOST: '0.0.0.0', PORT: '3000' }).href).toBe('http://127.0.0.1:3000/healthz')
    expect(healthcheckUrl([], { HOST: '::', PORT: '8080' }).href).toBe('http://127.0.0.1:8080/healthz')
    expect(healthcheckUrl([], {}).href).toBe('http://127.0.0.1:3000/healthz')
  })

  it('asks the HOST the service is bound to when it is one address', () => {
    expect(healthcheckUrl([], { HOST: '10.1.2.3', PORT: '3000' }).href).toBe('http://10.1.2.3:3000/healthz')
    expect(healthcheckUrl([], { HOST: '::1', PORT: '3000' }).href).toBe('http://[::1]:3000/healthz')
  })

  it('takes a URL argument (the simulator service passes its own)', () => {
    expect(healthcheckUrl(['http://127.0.0.1:8081/healthz'], { PORT: '3000' }).href).toBe('http://127.0.0.1:8081/healthz')
  })

  it('refuses a bad PORT, a non-URL and https', () => {
    expect(() => healthcheckUrl([], { PORT: 'http' })).toThrow(/PORT/)
    expect(() => healthcheckUrl([], { PORT: '70000' })).toThrow(/PORT/)
    expect(() => healthcheckUrl(['not a url'], {})).toThrow(/not a URL/)
    expect(() => healthcheckUrl(['https://127.0.0.1/healthz'], {})).toThrow(/only http/)
  })
})

describe('check', () => {
  let server: Server | undefined

  afterEach(async () => {
    server?.closeAllConnections()
    if (server?.listening) await new Promise((resolve) => server?.close(resolve))
    server = undefined
  })

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<URL> {
    server = createServer(handler)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    return new URL(`http://127.0.0.1:${port}/healthz`)
  }

  it('is healthy on a 2xx answer', async () => {
    const url = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'))
    await expect(check(url)).resolves.toEqual({ healthy: true, message: `${url.href} answered 200` })
  })

  it('is unhealthy on a 503 answer', async () => {
    const url = await serve((_req, res) => res.writeHead(503).end())
    await expect(check(url)).resolves.toMatchObject({ healthy: false, message: expect.stringContaining('503') })
  })

  it('is unhealthy when nothing listens', async () => {
    const url = await serve((_req, res) => res.end())
    await new Promise((resolve) => server?.close(resolve))
    await expect(check(url)).resolves.toMatchObject({ healthy: false, message: expect.stringContaining('ECONNREFUSED') })
  })

  it('gives up after the timeout when the answer does not come', async () => {
    const url = await serve(() => {
      // never answers
    })
    const started = Date.now()
    const result = await check(url, 200)
    expect(result).toMatchObject({ healthy: false, message: expect.stringContaining('200 ms') })
    expect(Date.now() - started).toBeLessThan(2000)
  })
})
