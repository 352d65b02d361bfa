// The bench's bare baseline: the floor of this architecture. One Fastify route per order
// route that turns the same JSON into the same form with URLSearchParams and posts it with
// undici over a keep-alive pool, with no validation, auth, logging, metrics or problem layer.
// `?dryRun=true` answers the form it would send, so the bench can check both sides send the same.
// Prints one line `baseline listening on <port>` once it listens.
import Fastify from 'fastify'
import { URLSearchParams } from 'node:url'
import { Agent, request } from 'undici'

const upstream = process.env.BASELINE_UPSTREAM_URL ?? 'http://127.0.0.1:8081/products/'
const loginName = process.env.BASELINE_LOGIN_NAME ?? 'bench'
const loginPassword = process.env.BASELINE_LOGIN_PASSWORD ?? 'bench'
const connections = Number(process.env.BASELINE_CONNECTIONS ?? '20')

const dispatcher = new Agent({ connections, keepAliveTimeout: 30_000, pipelining: 1 })
const app = Fastify({ logger: false })

const DCV_FIELDS = { domainName: 'domainName', method: 'newMethod', email: 'newDCVEmailAddress', dcvTemplateId: 'dcvTemplateID' }

function dcvForm(orderNumber, body) {
  const form = new URLSearchParams({ loginName, loginPassword, orderNumber })
  for (const [member, field] of Object.entries(DCV_FIELDS)) if (body[member] !== undefined) form.append(field, String(body[member]))
  return form
}

function replacementForm(orderNumber, body) {
  const form = new URLSearchParams({
    loginName,
    loginPassword,
    orderNumber,
    responseFormat: '1',
    showCertificateState: 'Y',
    showValidityPeriod: 'Y',
    showReplOrderNumber: 'Y'
  })
  // The bench's bodies hold only top-level strings named as their fields (csr, markLogo).
  for (const [member, value] of Object.entries(body ?? {})) if (typeof value === 'string') form.append(member, value)
  return form
}

async function post(endpoint, form) {
  const res = await request(upstream + endpoint, {
    dispatcher,
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }
  })
  return new URLSearchParams(await res.body.text())
}

app.post('/orders/:orderNumber/dcv', async (req, reply) => {
  const form = dcvForm(req.params.orderNumber, req.body)
  if (req.query.dryRun === 'true') return { fields: Object.fromEntries(form) }
  const answer = await post('!AutoUpdateDCV', form)
  if (answer.get('errorCode') !== '0') return reply.code(502).send({ errorCode: answer.get('errorCode') })
  return { orderNumber: req.params.orderNumber, domains: [{ domainName: req.body.domainName, method: req.body.method, email: req.body.email }] }
})

app.post('/orders/:orderNumber/replacement', async (req, reply) => {
  const form = replacementForm(req.params.orderNumber, req.body)
  if (req.query.dryRun === 'true') return { fields: Object.fromEntries(form) }
  const answer = await post('!AutoReplaceMC', form)
  if (answer.get('errorCode') !== '0') return reply.code(502).send({ errorCode: answer.get('errorCode') })
  return {
    orderNumber: req.params.orderNumber,
    replacementOrderNumber: answer.get('replOrderNumber'),
    certificateStatus: answer.get('certificateStatus')
  }
})

await app.listen({ port: Number(process.env.BASELINE_PORT ?? '0'), host: '127.0.0.1' })
process.stdout.write(`baseline listening on ${app.server.address().port}\n`)
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
