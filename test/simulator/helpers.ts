import { expect } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildSimulator } from '../../src/simulator/app.js'

export const ACCOUNT = { loginName: 'sandbox-user', loginPassword: 'pa&ss=wo+rd ü' }
export const LOGIN = { loginName: ACCOUNT.loginName, loginPassword: ACCOUNT.loginPassword }

export function simulator(slowMs = 50): Promise<FastifyInstance> {
  return buildSimulator({ ...ACCOUNT, slowMs })
}

export type Fields = Record<string, string> | Array<[string, string]>

export interface Reply {
  status: number
  contentType: string
  body: string
}

/** A form post, encoded as a browser or curl --data-urlencode would. */
export async function post(sim: FastifyInstance, endpoint: string, fields: Fields): Promise<Reply> {
  const response = await sim.inject({
    method: 'POST',
    url: `/products/${endpoint}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString()
  })
  return { status: response.statusCode, contentType: String(response.headers['content-type']), body: response.body }
}

export interface Answer {
  errorCode: number
  errorMessage: string | undefined
  errorItem: string | undefined
  params: URLSearchParams
}

/** Reads a URL-encoded reply by form rules. */
export function readUrlEncoded(reply: Reply): Answer {
  expect(reply.status).toBe(200)
  expect(reply.contentType).toBe('application/x-www-form-urlencoded')
  const params = new URLSearchParams(reply.body)
  const code = params.get('errorCode')
  expect(code).toMatch(/^-?\d+$/)
  return {
    errorCode: Number(code),
    errorMessage: params.get('errorMessage') ?? undefined,
    errorItem: params.get('errorItem') ?? undefined,
    params
  }
}

/** Reads a newline-positional reply: the lines, without the final newline. */
export function readLines(reply: Reply): string[] {
  expect(reply.status).toBe(200)
  expect(reply.contentType).toBe('text/plain; charset=utf-8')
  expect(reply.body.endsWith('\n')).toBe(true)
  return reply.body.slice(0, -1).split('\n')
}

export async function dcv(sim: FastifyInstance, fields: Record<string, string>): Promise<Answer> {
  return readUrlEncoded(await post(sim, '!AutoUpdateDCV', { ...LOGIN, ...fields }))
}

/** AutoReplaceMC in responseFormat 1. */
export async function replace(sim: FastifyInstance, fields: Record<string, string>): Promise<Answer> {
  return readUrlEncoded(await post(sim, '!AutoReplaceMC', { ...LOGIN, responseFormat: '1', ...fields }))
}

export interface OrderView {
  orderNumber: string
  kind: string
  status: string
  multiDomain: boolean
  domains: Array<{ domainName: string; method: string | null; email: string | null; validated: boolean }>
  foreignOrderNumber: string | null
  productTerm: { start: number; end: number; durationDays: number } | null
  replacedOrderNumber: string | null
  replacements: string[]
  calls: Array<{ endpoint: string; arguments: Record<string, string> }>
}

export async function order(sim: FastifyInstance, orderNumber: string): Promise<OrderView> {
  const response = await sim.inject({ method: 'GET', url: `/__simulator/orders/${orderNumber}` })
  expect(response.statusCode).toBe(200)
  return response.json<OrderView>()
}
