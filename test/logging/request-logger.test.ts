import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { RequestLogger } from '../../src/logging/request-logger.js'
import { captureLogs } from '../helpers/log-capture.js'
import { buildTestApp } from '../helpers/test-app.js'
import { expectCall } from '../helpers/upstream.js'

function rootAt(level: string) {
  const logs = captureLogs()
  return { logs, root: pino({ level, base: null, timestamp: false }, logs) }
}

describe('a request logger', () => {
  it('makes no pino child while nothing is written through it, or only lines its level drops', () => {
    const { root } = rootAt('info')
    const child = vi.spyOn(root, 'child')
    const log = new RequestLogger(root, { requestId: 'r1' })
    log.debug('dropped')
    log.trace({ x: 1 }, 'dropped')
    expect(log.isLevelEnabled('debug')).toBe(false)
    expect(log.fields()).toEqual({ requestId: 'r1' })
    expect(child).not.toHaveBeenCalled()
  })

  it('writes its lines through one child bound to the request id and the ids bound later', () => {
    const { root, logs } = rootAt('info')
    const child = vi.spyOn(root, 'child')
    const log = new RequestLogger(root, { requestId: 'r2' })
    log.bind({ traceId: 't1' })
    log.warn({ a: 1 }, 'first')
    log.error('second %s', 'line')
    log.bind({ spanId: 's1' })
    log.info('third')
    // One child at the first line; a binding added after it makes a child of that child.
    expect(child).toHaveBeenCalledTimes(2)
    expect(child.mock.calls[1]?.[0]).toEqual({ spanId: 's1' })
    expect(logs.records()).toEqual([
      { level: 40, requestId: 'r2', traceId: 't1', a: 1, msg: 'first' },
      { level: 50, requestId: 'r2', traceId: 't1', msg: 'second line' },
      { level: 30, requestId: 'r2', traceId: 't1', spanId: 's1', msg: 'third' }
    ])
    expect(log.fields()).toEqual({ requestId: 'r2', traceId: 't1', spanId: 's1' })
  })

  it('is what a request gets from the service: its own line comes from the root logger, with its id first, and no child is made', async () => {
    const t = await buildTestApp({ LOG_LEVEL: 'info' })
    const child = vi.spyOn(t.app.log, 'child')
    expectCall(t, '!AutoUpdateDCV')
    const res = await t.app.inject({ method: 'POST', url: '/orders/1000001/dcv', payload: { method: 'CNAME_CSR_HASH' }, headers: { 'x-request-id': 'quiet' } })
    expect(res.statusCode).toBe(200)
    const line = t.logs.lines.find((l) => l.includes('"requestId":"quiet"')) ?? ''
    expect(Object.keys(JSON.parse(line) as object).slice(0, 4)).toEqual(['level', 'time', 'service', 'requestId'])
    expect(child).not.toHaveBeenCalled()
    await t.app.close()
  })
})
