// The bench's instant upstream: a fixed-answer stand-in for Sectigo's two legacy endpoints, so
// that the bench measures the proxy and not the simulator. Reads each request body in full, waits
// UPSTREAM_DELAY_MS (0: answers at once), then answers success in Sectigo's URL-encoded form.
// `POST /__bench/jitter` with a number of milliseconds as the body adds a random 0..N ms to every
// delay until it is set back to 0: the bench uses it to spread its connections' phases before it
// measures, so that a closed-loop load does not arrive in synchronised bursts.
// Prints one line `upstream listening on <port>` once it listens.
import { Buffer } from 'node:buffer'
import { createServer } from 'node:http'
import { setTimeout } from 'node:timers'

const delayMs = Number(process.env.UPSTREAM_DELAY_MS ?? '0')
const port = Number(process.env.UPSTREAM_PORT ?? '0')
let jitterMs = 0

const DCV_REPLY = 'errorCode=0'
// A successful AutoReplaceMC with responseFormat=1 and the three show… flags the proxy sends.
const REPLACE_REPLY =
  'errorCode=0&certificateStatus=Pending+Validation&productTermStartDate=1795392000&productTermEndDate=1826928000' +
  '&productTermDuration=365&replOrderNumber=3000001'
const HEADERS = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }

function answer(res, status, body) {
  res.writeHead(status, { ...HEADERS, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

const server = createServer((req, res) => {
  let size = 0
  let text = ''
  req.on('data', (chunk) => {
    size += chunk.length
    if (req.url === '/__bench/jitter') text += chunk
  })
  req.on('end', () => {
    const url = req.url ?? ''
    if (url === '/__bench/jitter') {
      jitterMs = Math.max(0, Number(text) || 0)
      return answer(res, 200, String(jitterMs))
    }
    const body = url.endsWith('!AutoUpdateDCV') ? DCV_REPLY : url.endsWith('!AutoReplaceMC') ? REPLACE_REPLY : undefined
    const send = () => (body === undefined || req.method !== 'POST' || size === 0 ? answer(res, 404, 'errorCode=-2') : answer(res, 200, body))
    const wait = delayMs + (jitterMs > 0 ? Math.random() * jitterMs : 0)
    if (wait > 0) setTimeout(send, wait)
    else send()
  })
})
// Longer than the clients' keep-alive, so the server never closes a pooled connection first.
server.keepAliveTimeout = 120_000
server.headersTimeout = 130_000
server.requestTimeout = 0
server.maxRequestsPerSocket = 0

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`upstream listening on ${server.address().port}\n`)
})
process.on('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  process.exit(0)
})
