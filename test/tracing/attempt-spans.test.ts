import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { describe, expect, it } from 'vitest'
import { newCallRecord, type AttemptRecord, type SectigoCallRecord } from '../../src/sectigo/client.js'
import { attemptOutcome, recordAttemptSpans } from '../../src/tracing/attempt-spans.js'

function setup() {
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  return { exporter, tracer: provider.getTracer('test') }
}

const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

function record(overrides: Partial<AttemptRecord>): AttemptRecord {
  return { attempt: 1, startedAt: T0, durationMs: 100, outcome: 'reply', sent: true, ...overrides }
}

function call(overrides: Partial<SectigoCallRecord>): SectigoCallRecord {
  return { ...newCallRecord('!AutoUpdateDCV'), startedAt: T0 - 40.5, ...overrides }
}

describe('attempt spans from a call record', () => {
  it('gives each attempt its recorded start and end, and the wait for a connection a span of its own before them', () => {
    const { exporter, tracer } = setup()
    const parent = tracer.startSpan('request', { startTime: T0 - 50 })
    recordAttemptSpans(
      tracer,
      parent,
      call({
        queuedMs: 40.5,
        errorCode: 0,
        outcome: 'reply',
        attempts: [
          record({ attempt: 1, startedAt: T0, durationMs: 1000, outcome: 'connect', sent: false }),
          record({ attempt: 2, startedAt: T0 + 1200, durationMs: 80, errorCode: 0, connectMs: 3 })
        ]
      })
    )
    parent.end(T0 + 1300)
    const spans = exporter.getFinishedSpans()
    const attempts = spans.filter((s) => s.kind === SpanKind.CLIENT)
    expect(attempts.map((s) => [s.name, ms(s.startTime) - T0, ms(s.endTime) - T0])).toEqual([
      ['sectigo !AutoUpdateDCV', 0, 1000],
      ['sectigo !AutoUpdateDCV', 1200, 1280]
    ])
    for (const span of attempts) expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId)
    const waits = spans.filter((s) => s.name === 'sectigo connection wait')
    expect(waits).toHaveLength(1)
    expect(waits[0]?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId)
    expect([ms(waits[0]?.startTime ?? [0, 0]) - T0, ms(waits[0]?.endTime ?? [0, 0]) - T0]).toEqual([-40.5, 0])
    expect(attempts[0]?.attributes['sectigo.queued_ms']).toBe(41)
    expect(attempts[1]?.attributes['sectigo.connect_ms']).toBe(3)
    expect(attempts[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connect' })
    expect(attempts[1]?.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('shows a call refused before any attempt as its wait alone, with the reason', () => {
    const { exporter, tracer } = setup()
    const parent = tracer.startSpan('request')
    recordAttemptSpans(tracer, parent, call({ queuedMs: 300, outcome: 'queue-timeout' }))
    parent.end()
    const spans = exporter.getFinishedSpans()
    expect(spans.map((s) => s.name)).toEqual(['sectigo connection wait', 'request'])
    expect(spans[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'queue-timeout' })
  })

  it('names the outcome by what the caller knows: answered, timed out, not sent, or unknown', () => {
    expect(attemptOutcome(record({ outcome: 'reply', errorCode: -14 }))).toBe('answered')
    expect(attemptOutcome(record({ outcome: 'timeout' }))).toBe('timed-out')
    expect(attemptOutcome(record({ outcome: 'connect', sent: false }))).toBe('not-sent')
    for (const outcome of ['lost', 'http-status', 'too-large', 'bad-reply'] as const) expect(attemptOutcome(record({ outcome }))).toBe('unknown')
  })
})
