import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BadReplyError, parseReply, replyValue } from '../../src/sectigo/response-parser.js'

describe('URL-encoded replies', () => {
  it('reads a bare success', () => {
    expect(parseReply('errorCode=0')).toMatchObject({ format: 'urlencoded', errorCode: 0 })
  })

  it('decodes with form rules: + is a space, decoded once', () => {
    const reply = parseReply('errorCode=-4&errorMessage=The+value+of+the+%27orderNumber%27+argument+is+invalid%21&errorItem=orderNumber')
    expect(reply).toMatchObject({
      errorCode: -4,
      errorMessage: "The value of the 'orderNumber' argument is invalid!",
      errorItem: 'orderNumber'
    })
    expect(parseReply('errorCode=-14&errorMessage=100%2525').errorMessage).toBe('100%25')
  })

  it('ignores a trailing & and empty segments', () => {
    const reply = parseReply('errorCode=0&certificateID=abc&&')
    expect(reply.errorCode).toBe(0)
    expect(replyValue(reply, 'certificateID')).toBe('abc')
  })

  it('keeps repeated keys and uses the first where one is expected', () => {
    const reply = parseReply('errorCode=0&domain=a&domain=b&errorCode=-1')
    expect(reply.errorCode).toBe(0)
    expect(reply.values.get('domain')).toEqual(['a', 'b'])
  })

  it('reads errorDetail for mark certificates', () => {
    expect(parseReply('errorCode=-161&errorMessage=x&errorItem=trademarkOffice&errorDetail=CMC+order').errorDetail).toBe('CMC order')
  })

  it('reads a replacement success with its values', () => {
    const reply = parseReply(
      'errorCode=0&certificateStatus=Pending+Validation&productTermStartDate=1795305600&productTermEndDate=1826841600&productTermDuration=365&replOrderNumber=1234999\r\n'
    )
    expect(replyValue(reply, 'certificateStatus')).toBe('Pending Validation')
    expect(replyValue(reply, 'replOrderNumber')).toBe('1234999')
  })

  it('round-trips any message through form encoding', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: -999, max: -1 }), (message, code) => {
        const body = new URLSearchParams({ errorCode: String(code), errorMessage: message }).toString()
        const reply = parseReply(body)
        expect(reply.errorCode).toBe(code)
        expect(reply.errorMessage).toBe(message)
      })
    )
  })
})

describe('newline replies', () => {
  it('reads an error: code then message', () => {
    expect(parseReply('-160\nFailed to replace order #1234567890.\n')).toMatchObject({
      format: 'newline',
      errorCode: -160,
      errorMessage: 'Failed to replace order #1234567890.'
    })
  })

  it('reads a success with its positional lines, with CRLF', () => {
    const reply = parseReply('0\r\nPending Validation\r\n1052870400 1084406400\r\n1234999\r\n')
    expect(reply).toMatchObject({ format: 'newline', errorCode: 0 })
    expect(reply.lines).toEqual(['Pending Validation', '1052870400 1084406400', '1234999'])
  })

  it('reads a bare 0', () => {
    expect(parseReply('0')).toMatchObject({ errorCode: 0, lines: [] })
  })

  it('reads the percent-encoded newline form shown on the AutoReplaceMC page', () => {
    expect(parseReply('-160%0AFailed%20to%20replace%20order%20%231234567890.')).toMatchObject({
      format: 'percent-encoded-newline',
      errorCode: -160,
      errorMessage: 'Failed to replace order #1234567890.'
    })
  })
})

describe('JSON replies (responseFormat=2 of the read endpoints)', () => {
  it('reads scalar members as values and arrays as repeated values', () => {
    const reply = parseReply('{"errorCode":0,"1_domainName":"a.example","level2_email":["admin@example.com","webmaster@example.com"],"n":3,"skip":{"x":1}}')
    expect(reply.format).toBe('json')
    expect(reply.errorCode).toBe(0)
    expect(replyValue(reply, '1_domainName')).toBe('a.example')
    expect(reply.values.get('level2_email')).toEqual(['admin@example.com', 'webmaster@example.com'])
    expect(replyValue(reply, 'n')).toBe('3')
    expect(reply.values.has('skip')).toBe(false)
  })

  it('reads an error with its message and item', () => {
    expect(parseReply(' {"errorCode":-4,"errorMessage":"The value of the \'orderNumber\' argument is invalid!","errorItem":"orderNumber"}')).toMatchObject({
      format: 'json',
      errorCode: -4,
      errorMessage: "The value of the 'orderNumber' argument is invalid!",
      errorItem: 'orderNumber'
    })
  })

  it('keeps a __proto__ member as data', () => {
    const reply = parseReply('{"errorCode":0,"__proto__":"x"}')
    expect(reply.values.get('__proto__')).toEqual(['x'])
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})

describe('bad replies', () => {
  it.each([
    ['an empty body', ''],
    ['whitespace', ' \r\n '],
    ['an HTML page', '<html><body>502 Bad Gateway</body></html>'],
    ['an HTML page after white space', '\n  <!DOCTYPE html><p>x</p>'],
    ['no errorCode', 'errorMessage=hello'],
    ['a non-numeric code', 'errorCode=abc'],
    ['an empty code', 'errorCode=&errorMessage=x'],
    ['garbage', 'garbage'],
    ['broken percent-encoding', '-1%0A%E0%A4%A'],
    ['a JSON array', '[{"errorCode":0}]'],
    ['JSON without errorCode', '{"status":"ok"}'],
    ['broken JSON', '{"errorCode":0'],
    ['JSON with a non-numeric code', '{"errorCode":"zero"}']
  ])('refuses %s', (_name, body) => {
    expect(() => parseReply(body)).toThrow(BadReplyError)
  })

  it('never throws anything but BadReplyError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (body) => {
        try {
          const reply = parseReply(body)
          expect(Number.isInteger(reply.errorCode)).toBe(true)
        } catch (err) {
          expect(err).toBeInstanceOf(BadReplyError)
        }
      }),
      { numRuns: 1000 }
    )
  })
})
