import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api'
import type { AttemptRecord } from '../sectigo/client.js'
import type { SectigoCallRecord } from '../sectigo/sectigo-plugin.js'

/** What an attempt means for the caller: whether Sectigo's state is known. */
export type AttemptOutcome = 'answered' | 'timed-out' | 'not-sent' | 'unknown'

export function attemptOutcome(record: AttemptRecord): AttemptOutcome {
  if (record.outcome === 'reply') return 'answered'
  if (record.outcome === 'timeout') return 'timed-out'
  return record.sent ? 'unknown' : 'not-sent'
}

/**
 * One CLIENT span per attempt, built after the request is over from its call record, with the
 * attempt's own start and end times, and before them a span for the call's wait for a connection
 * slot when it had to wait (alone, with the failure, when the wait was refused). Nothing here runs
 * inside the client: it sends no trace header to Sectigo (an outside party) and costs nothing while
 * the call is in flight. Only numbers and names go into attributes, never a field, a header or a
 * message.
 */
export function recordAttemptSpans(tracer: Tracer, parent: Span, call: SectigoCallRecord): void {
  const parentContext = trace.setSpan(ROOT_CONTEXT, parent)
  if (call.queuedMs >= 1 || call.attempts.length === 0) {
    const wait = tracer.startSpan(
      'sectigo connection wait',
      { startTime: call.startedAt, attributes: { 'sectigo.endpoint': call.endpoint, 'sectigo.queued_ms': Math.round(call.queuedMs) } },
      parentContext
    )
    if (call.attempts.length === 0 && call.outcome) wait.setStatus({ code: SpanStatusCode.ERROR, message: call.outcome })
    wait.end(call.startedAt + call.queuedMs)
  }
  for (const record of call.attempts) {
    const outcome = attemptOutcome(record)
    const attributes: Attributes = {
      'sectigo.endpoint': call.endpoint,
      'sectigo.attempt': record.attempt,
      'sectigo.outcome': outcome,
      'sectigo.sent': record.sent,
      'sectigo.queued_ms': record.attempt === 1 ? Math.round(call.queuedMs) : 0
    }
    if (record.connectMs !== undefined) attributes['sectigo.connect_ms'] = Math.round(record.connectMs * 10) / 10
    if (record.outcome !== 'reply') attributes['sectigo.failure'] = record.outcome
    if (record.errorCode !== undefined) attributes['sectigo.error_code'] = record.errorCode
    const span = tracer.startSpan(`sectigo ${call.endpoint}`, { kind: SpanKind.CLIENT, startTime: record.startedAt, attributes }, parentContext)
    // A negative errorCode is Sectigo's answer, not a failure of the call: the status stays unset.
    if (record.outcome !== 'reply') span.setStatus({ code: SpanStatusCode.ERROR, message: record.outcome })
    span.end(record.startedAt + record.durationMs)
  }
}
