import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import { SECTIGO_CODES, codesForSlug } from '../sectigo/error-codes.js'
import { problemResponses } from '../schemas/problem.js'
import { ProblemError } from './problem-error.js'
import { PROBLEM_SLUGS, PROBLEM_TYPES, isProblemSlug, type ProblemSlug } from './problem-types.js'

export const ProblemDoc = Type.Object(
  {
    slug: Type.String(),
    type: Type.String({ description: 'The `type` URI problems of this kind carry.' }),
    title: Type.String(),
    status: Type.Integer(),
    meaning: Type.String(),
    action: Type.String({ description: 'What the caller should do.' }),
    sectigoCodes: Type.Array(Type.Object({ code: Type.Integer(), message: Type.String() }), {
      description: 'The Sectigo error codes that map to this problem.'
    })
  },
  { $id: 'ProblemDoc', description: 'Documentation of one problem type.' }
)
type ProblemDoc = Static<typeof ProblemDoc>

function docFor(slug: ProblemSlug): ProblemDoc {
  const t = PROBLEM_TYPES[slug]
  const codes = codesForSlug(slug).map((code) => ({ code, message: SECTIGO_CODES[code]?.message ?? '' }))
  const note = slug === 'upstream-error' ? ' Any negative code not listed elsewhere also maps here.' : ''
  return {
    slug,
    type: `/problems/${slug}`,
    title: t.title,
    status: t.status,
    meaning: t.meaning + note,
    action: t.action,
    sectigoCodes: codes
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code{background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}</style>
</head><body>${body}<p><a href="/problems">All problem types</a> · <a href="/docs">API documentation</a></p></body></html>`
}

function renderDoc(doc: ProblemDoc): string {
  const codes =
    doc.sectigoCodes.length === 0
      ? '<p>No Sectigo error code maps here: the service raises it itself.</p>'
      : `<table><tr><th>Sectigo code</th><th>Sectigo's message</th></tr>${doc.sectigoCodes
          .map((c) => `<tr><td><code>${c.code}</code></td><td>${escapeHtml(c.message)}</td></tr>`)
          .join('')}</table>`
  return page(
    doc.title,
    `<h1>${escapeHtml(doc.title)}</h1><p>HTTP status <strong>${doc.status}</strong> · type <code>${escapeHtml(doc.type)}</code></p>
<h2>What it means</h2><p>${escapeHtml(doc.meaning)}</p><h2>What to do</h2><p>${escapeHtml(doc.action)}</p><h2>Sectigo codes</h2>${codes}`
  )
}

function wantsHtml(accept: string | undefined): boolean {
  return /text\/html/.test(accept ?? '')
}

/** `GET /problems` and `GET /problems/{slug}`: HTML for browsers, JSON otherwise. */
export const problemPages: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/problems',
    {
      schema: {
        tags: ['problems'],
        operationId: 'listProblemTypes',
        summary: 'List the problem types',
        description: 'Every problem type the service answers with. HTML when the client accepts `text/html`, JSON otherwise.',
        response: {
          200: {
            description: 'The problem types.',
            content: { 'application/json': { schema: Type.Array(Type.Ref(ProblemDoc)) }, 'text/html': { schema: Type.String() } }
          }
        }
      }
    },
    async (request, reply) => {
      const docs = PROBLEM_SLUGS.map(docFor)
      if (!wantsHtml(request.headers.accept)) return docs
      const rows = docs
        .map((d) => `<tr><td><a href="/problems/${d.slug}">${d.slug}</a></td><td>${d.status}</td><td>${escapeHtml(d.title)}</td></tr>`)
        .join('')
      return reply
        .type('text/html; charset=utf-8')
        .send(page('Problem types', `<h1>Problem types</h1><table><tr><th>slug</th><th>status</th><th>title</th></tr>${rows}</table>`))
    }
  )

  app.get(
    '/problems/:slug',
    {
      schema: {
        tags: ['problems'],
        operationId: 'getProblemType',
        summary: 'Describe one problem type',
        description:
          'The title, status, meaning, the Sectigo codes behind it and what the caller should do. HTML when the client accepts `text/html`, JSON otherwise.',
        params: Type.Object({ slug: Type.String({ pattern: '^[a-z-]{1,64}$', description: 'The problem slug.', examples: ['domain-already-validated'] }) }),
        response: {
          200: {
            description: 'The problem type.',
            content: { 'application/json': { schema: Type.Ref(ProblemDoc) }, 'text/html': { schema: Type.String() } }
          },
          ...problemResponses(['validation-failed', 'not-found'], '/problems/no-such-slug')
        }
      }
    },
    async (request, reply) => {
      const { slug } = request.params
      if (!isProblemSlug(slug)) throw new ProblemError('not-found', { detail: `There is no problem type ${slug}.` })
      const doc = docFor(slug)
      if (!wantsHtml(request.headers.accept)) return doc
      return reply.type('text/html; charset=utf-8').send(renderDoc(doc))
    }
  )
}
