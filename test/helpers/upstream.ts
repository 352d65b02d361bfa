import type { MockAgent } from 'undici'
import type { Endpoint } from '../../src/sectigo/fields.js'
import type { TestApp } from './test-app.js'

export type Sent = Array<[string, string]>

/**
 * Intercepts the next call to `endpoint`, answers `reply`, and records the exact form fields
 * that left the service, in order.
 */
export function expectCall(
  t: Pick<TestApp, 'upstream'>,
  endpoint: Endpoint,
  reply: string | { status: number; body: string } = 'errorCode=0'
): { fields: () => Sent; body: () => string } {
  let raw: string | undefined
  const { status, body } = typeof reply === 'string' ? { status: 200, body: reply } : reply
  t.upstream.intercept({ path: `/products/${endpoint}`, method: 'POST' }).reply(status, (req) => {
    raw = String(req.body)
    return body
  })
  return {
    body: () => {
      if (raw === undefined) throw new Error(`no call reached ${endpoint}`)
      return raw
    },
    fields: () => {
      if (raw === undefined) throw new Error(`no call reached ${endpoint}`)
      return [...new URLSearchParams(raw)]
    }
  }
}

export function noPendingCalls(agent: MockAgent): void {
  agent.assertNoPendingInterceptors()
}
