import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One span as the OTLP protobuf carried it: the fields the tests look at. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  kind: number
  attributes: Record<string, string | number | boolean>
  resource: Record<string, string | number | boolean>
}

export interface OtlpReceiver {
  url: string
  requests: Array<{ path: string; headers: IncomingHttpHeaders; body: Buffer }>
  spans(): ReceivedSpan[]
  close(): Promise<void>
}

/** A collector stand-in on loopback: takes OTLP/HTTP protobuf exports and decodes their spans. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
      // An empty ExportTraceServiceResponse: full success.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () => requests.flatMap((r) => decodeExport(r.body)),
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}

type Field = { no: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer }

// The protobuf wire format, enough for OTLP traces: varints, fixed64/32 and length-delimited fields.
function fields(buf: Buffer): Field[] {
  const out: Field[] = []
  let i = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = buf[i++]
      if (byte === undefined) throw new Error('truncated varint')
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
      shift += 7n
    }
  }
  while (i < buf.length) {
    const key = Number(varint())
    const no = key >> 3
    const type = key & 7
    if (type === 0) out.push({ no, varint: varint() })
    else if (type === 1) out.push({ no, fixed: buf.subarray(i, (i += 8)) })
    else if (type === 5) out.push({ no, fixed: buf.subarray(i, (i += 4)) })
    else if (type === 2) {
      const len = Number(varint())
      out.push({ no, bytes: buf.subarray(i, (i += len)) })
    } else throw new Error(`unsupported wire type ${type}`)
  }
  return out
}

const sub = (fs: Field[], no: number) => fs.filter((f) => f.no === no && f.bytes).map((f) => f.bytes as Buffer)
const str = (fs: Field[], no: number) => sub(fs, no)[0]?.toString('utf8') ?? ''
const hex = (fs: Field[], no: number) => sub(fs, no)[0]?.toString('hex') ?? ''

// KeyValue { key = 1; AnyValue value = 2 }, AnyValue { string = 1; bool = 2; int = 3; double = 4 }
function attributes(kvs: Buffer[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const kv of kvs) {
    const f = fields(kv)
    const value = fields(sub(f, 2)[0] ?? Buffer.alloc(0))[0]
    if (!value) continue
    const key = str(f, 1)
    if (value.no === 1) out[key] = value.bytes?.toString('utf8') ?? ''
    else if (value.no === 2) out[key] = value.varint === 1n
    else if (value.no === 3) out[key] = Number(BigInt.asIntN(64, value.varint ?? 0n))
    else if (value.no === 4) out[key] = value.fixed?.readDoubleLE(0) ?? 0
  }
  return out
}

// ExportTraceServiceRequest { ResourceSpans = 1 } → { Resource = 1; ScopeSpans = 2 } → { Span = 2 }
function decodeExport(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const rs of sub(fields(body), 1)) {
    const rsf = fields(rs)
    const resource = attributes(sub(fields(sub(rsf, 1)[0] ?? Buffer.alloc(0)), 1))
    for (const ss of sub(rsf, 2)) {
      for (const span of sub(fields(ss), 2)) {
        const f = fields(span)
        spans.push({
          traceId: hex(f, 1),
          spanId: hex(f, 2),
          parentSpanId: hex(f, 4),
          name: str(f, 5),
          kind: Number(f.find((x) => x.no === 6)?.varint ?? 0n),
          attributes: attributes(sub(f, 9)),
          resource
        })
      }
    }
  }
  return spans
}
