import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findMemberFault, lineAndColumn, syntaxErrorOffset } from '../../src/http/json-text.js'
import { charsetOf } from '../../src/http/json-body.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
let posts = 0

beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_MAX: '1000000' })
  for (const endpoint of ['!AutoUpdateDCV', '!AutoReplaceMC']) {
    t.upstream
      .intercept({ path: `/products/${endpoint}`, method: 'POST' })
      .reply(200, () => {
        posts++
        return 'errorCode=0'
      })
      .persist()
  }
})
afterAll(async () => {
  await t.app.close()
})

async function post(url: string, payload: string | Buffer | undefined, contentType: string | undefined = 'application/json') {
  const before = posts
  const res = await t.app.inject({ method: 'POST', url, payload, headers: contentType ? { 'content-type': contentType } : {} })
  return { res, sent: posts - before, body: res.json() as { type: string; detail: string; errors?: Array<{ pointer?: string; detail: string }> } }
}

describe('a present body must be a JSON object', () => {
  it.each(['null', '"x"', '1', 'true', '[]', '[{}]'])('%s on the replacement route is a 400 and nothing is sent', async (payload) => {
    const { res, sent, body } = await post('/orders/2000001/replacement', payload)
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(body.detail).toBe('The body must be a JSON object.')
    expect(sent).toBe(0)
  })

  it('no body at all on the replacement route keeps its meaning: the empty object', async () => {
    for (const contentType of [undefined, 'application/json']) {
      const { res, sent } = await post('/orders/2000001/replacement', contentType ? '' : undefined, contentType)
      expect(res.statusCode, res.body).toBe(200)
      expect(sent).toBe(1)
    }
  })

  it('null on a DCV route is the same 400', async () => {
    const { res, body } = await post('/orders/1000001/dcv', 'null')
    expect(res.statusCode).toBe(400)
    expect(body.detail).toBe('The body must be a JSON object.')
  })

  it('no body on a DCV route is one clear message, with or without a JSON content type', async () => {
    const a = await post('/orders/1000001/dcv', undefined, undefined)
    const b = await post('/orders/1000001/dcv', '', 'application/json')
    for (const { res, body } of [a, b]) {
      expect(res.statusCode).toBe(400)
      expect(body.detail).toMatch(/^A body is required: a JSON object with `method` \(one domain\) or `domains` \(several\)/)
      expect(body.errors).toEqual([{ pointer: '#', detail: 'is required' }])
    }
  })

  it('both DCV body shapes at once say that the shapes are exclusive', async () => {
    const { res, body } = await post('/orders/1000002/dcv', JSON.stringify({ method: 'EMAIL', domains: [{ domainName: 'example.com', method: 'CNAME_CSR_HASH' }] }))
    expect(res.statusCode).toBe(400)
    expect(body.errors?.[0]?.pointer).toBe('#/domains')
    expect(body.detail).toContain('the two body shapes are exclusive')
    expect(body.detail).toContain('method')
  })
})

describe('only UTF-8 JSON', () => {
  const latin1 = Buffer.from('{"organization":{"name":"Soci\xe9t\xe9"}}', 'latin1')

  it.each(['application/json; charset=iso-8859-1', 'application/json; charset=utf-16', 'application/json;charset="latin1"'])(
    '%s is a 415 and nothing is sent',
    async (contentType) => {
      const { res, sent, body } = await post('/orders/2000001/replacement', latin1, contentType)
      expect(res.statusCode).toBe(415)
      expect(body.type).toBe('/problems/unsupported-media-type')
      expect(body.detail).toContain('UTF-8')
      expect(sent).toBe(0)
    }
  )

  it.each(['application/json; charset=UTF-8', 'application/json; charset=utf-8', 'application/json;CHARSET="Utf-8"', 'application/json'])(
    '%s is accepted',
    async (contentType) => {
      const { res } = await post('/orders/1000001/dcv', JSON.stringify({ method: 'CNAME_CSR_HASH' }), contentType)
      expect(res.statusCode, res.body).toBe(200)
    }
  )

  it('bytes that are not UTF-8 are a 400 and nothing is sent, whatever the charset says', async () => {
    const { res, sent, body } = await post('/orders/2000001/replacement', latin1, 'application/json; charset=utf-8')
    expect(res.statusCode).toBe(400)
    expect(body.detail).toContain('not valid UTF-8')
    expect(sent).toBe(0)
  })

  it('UTF-8 text is carried exactly', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/orders/2000001/replacement?dryRun=true',
      payload: Buffer.from('{"organization":{"name":"Société 💡"}}', 'utf8'),
      headers: { 'content-type': 'application/json' }
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().fields.organizationName).toBe('Société 💡')
  })

  it('charsetOf reads the parameter as RFC 9110 writes it', () => {
    expect(charsetOf('application/json')).toBeUndefined()
    expect(charsetOf('application/json; Charset="UTF-8"')).toBe('utf-8')
    expect(charsetOf('application/json;foo=bar; charset=iso-8859-1')).toBe('iso-8859-1')
  })
})

describe('members named twice', () => {
  it('are a 400 naming the member, and nothing is sent', async () => {
    const { res, sent, body } = await post('/orders/1000002/dcv', '{"method":"EMAIL","domainName":"example.com","email":"a@b.com","email":"c@d.com"}')
    expect(res.statusCode).toBe(400)
    expect(body.errors).toEqual([{ pointer: '#/email', detail: 'appears twice' }])
    expect(body.detail).toContain('#/email appears twice')
    expect(sent).toBe(0)
  })

  it('are found nested, and spelled with escapes', async () => {
    const payload = '{"domains":[{"domainName":"example.com","method":"CNAME_CSR_HASH"},{"domainName":"shop.example.com","method":"EMAIL","\\u0065mail":"a@b.com","email":"c@d.com"}]}'
    const { res, body } = await post('/orders/1000002/dcv', payload)
    expect(res.statusCode).toBe(400)
    expect(body.errors?.[0]?.pointer).toBe('#/domains/1/email')
  })

  it('prototype-poisoning keys are still refused', async () => {
    for (const payload of ['{"method":"EMAIL","__proto__":{"x":1}}', '{"organization":{"constructor":{"prototype":{"x":1}}}}']) {
      const { res, sent } = await post('/orders/2000001/replacement', payload)
      expect(res.statusCode).toBe(400)
      expect(sent).toBe(0)
    }
  })

  it('findMemberFault: the same name in different objects, inside strings or in arrays is no fault', () => {
    expect(findMemberFault('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"\\"a\\":1,\\"a\\":2","d":"x\\\\"}')).toBeUndefined()
    expect(findMemberFault('{"a":[1,{"b":1,"b":2}]}')).toEqual({ kind: 'duplicate', member: 'b', pointer: '#/a/1/b' })
    expect(findMemberFault('{"x\\\\":1,"x\\\\":2}')).toEqual({ kind: 'duplicate', member: 'x\\', pointer: '#/x\\' })
    // As secure-json-parse: a constructor object holding prototype, whatever its value.
    expect(findMemberFault('{"a/b":{"constructor":{"prototype":1}}}')?.kind).toBe('forbidden')
    expect(findMemberFault('{"a/b":{"constructor":{"prototype":{}}}}')?.pointer).toBe('#/a~1b/constructor/prototype')
    expect(findMemberFault('{"constructor":1,"prototype":{}}')).toBeUndefined()
  })
})

describe('malformed JSON says where', () => {
  it('with line and column', async () => {
    const { res, body } = await post('/orders/1000001/dcv', '{\n  "method": "EMAIL",\n  "email" "a@b.com"\n}')
    expect(res.statusCode).toBe(400)
    expect(body.detail).toBe('The body is not valid JSON: at line 3, column 11 (offset 33).')
  })

  it('or that it ends too early', async () => {
    const { body } = await post('/orders/1000001/dcv', '{"method":"EMAIL"')
    expect(body.detail).toBe('The body is not valid JSON: it ends too early.')
  })

  it('never quotes the body', async () => {
    const { body } = await post('/orders/1000001/dcv', '{"method":spk_secret}')
    expect(JSON.stringify(body)).not.toContain('spk_secret')
  })

  it('syntaxErrorOffset agrees with JSON.parse on what is valid', () => {
    for (const bad of ['', ' ', '{', '{"a"}', '{"a":1,}', '[1,]', '"\\x"', '01', '1.', '-', 'tru', '{"a":1} x', '"\u0001"']) {
      expect(() => JSON.parse(bad)).toThrow()
      expect(syntaxErrorOffset(bad)).toBeGreaterThanOrEqual(0)
    }
    expect(syntaxErrorOffset('{"a":1,}')).toBe(7)
    expect(syntaxErrorOffset('{"a":1} x')).toBe(8)
    expect(lineAndColumn('a\nbc\nd', 4)).toEqual({ line: 2, column: 3 })
  })
})
