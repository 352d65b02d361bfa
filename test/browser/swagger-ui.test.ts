import { createHash, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer, type ServerProcess } from '../helpers/server-process.js'

// Swagger UI at /docs, driven in a real (headless) Chromium against a real sandbox server:
// authorize with a bearer key, try the DCV operation with its named examples, read the live
// responses, and check that the authorization survives a reload (persistAuthorization).

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Playwright adds --headless itself (headless: true) and gives every launch a fresh temporary
// user-data dir. Without the networking switches Chromium keeps dialling Google's hosts,
// which a closed network refuses.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]
const WAIT_MS = 30_000
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/browser/', import.meta.url))

const KEY = 'spk_browser-swagger-ui-0123456789abcdef'
const API_KEYS = JSON.stringify([
  { id: 'browser', sha256: createHash('sha256').update(KEY).digest('hex'), scopes: ['dcv:write', 'replacement:write'] }
])

interface LiveResponse {
  status: string
  body: Record<string, unknown>
  /** The response headers as Swagger UI lists them, one `name: value` per line. */
  headers: string
  /** The curl command Swagger UI shows for the request it sent. */
  curl: string
}

/** Expands an operation unless it already is (deepLinking re-opens it after a reload). */
async function expand(page: Page, id: string): Promise<Locator> {
  const op = page.locator(`#${id}`)
  await op.waitFor({ timeout: WAIT_MS })
  const summary = op.locator('.opblock-summary-control')
  if ((await summary.getAttribute('aria-expanded')) !== 'true') await summary.click()
  await op.locator('.opblock-body').waitFor({ timeout: WAIT_MS })
  return op
}

/** "Try it out", then the path parameter and a named request example. */
async function fillRequest(op: Locator, orderNumber: string, example: string, expectedBody: unknown): Promise<void> {
  const tryOut = op.locator('.try-out__btn')
  // The button reads "Cancel" once the operation is editable.
  if (!/cancel/i.test(await tryOut.innerText())) await tryOut.click()
  const select = op.locator('.opblock-section-request-body .examples-select select')
  await select.selectOption(example, { timeout: WAIT_MS })
  const orderInput = op.locator('tr[data-param-name="orderNumber"] input')
  await orderInput.fill(orderNumber)
  expect(await orderInput.inputValue()).toBe(orderNumber)
  // Swagger UI pre-fills the Idempotency-Key field with the document's example, so every
  // call would carry the same key and the second would be refused as a reuse: give each its own.
  const idempotencyKey = op.locator('tr[data-param-name="Idempotency-Key"] input')
  if ((await idempotencyKey.count()) > 0) await idempotencyKey.fill(`browser-test-${randomUUID()}`)
  const body = op.locator('.opblock-section-request-body textarea.body-param__text')
  expect(JSON.parse(await body.inputValue())).toEqual(expectedBody)
}

/** Executes and reads what the server answered from the live response section. */
async function execute(op: Locator): Promise<LiveResponse> {
  // Clear an earlier answer first, so what is read below is this call's. (Once there is an
  // answer, Execute and Clear sit in a .btn-group instead of the .execute-wrapper.)
  const clear = op.locator('button.btn-clear')
  if (await clear.isVisible()) await clear.click()
  await op.locator('.live-responses-table').waitFor({ state: 'detached', timeout: WAIT_MS })
  await op.locator('button.execute').click()
  const row = op.locator('.responses-wrapper .live-responses-table .response')
  // Swagger UI fills status and body in one render; wait until both are there.
  await row.locator('.response-col_description .highlight-code pre').waitFor({ timeout: WAIT_MS })
  const status = (await row.locator('.response-col_status').innerText()).trim()
  const bodyText = await row.locator('.response-col_description .highlight-code pre').innerText()
  const headers = await row.locator('.response-col_description pre:has(.headerline)').innerText()
  const curl = await op.locator('.responses-wrapper .curl-command pre').innerText()
  let body: Record<string, unknown>
  try {
    body = JSON.parse(bodyText) as Record<string, unknown>
  } catch {
    throw new Error(`status ${status}: the response body shown is not JSON:\n${bodyText}`)
  }
  return { status, body, headers, curl }
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}${name}`, fullPage: true })
}

describe('Swagger UI in a browser', () => {
  let server: ServerProcess | undefined
  let browser: Browser | undefined

  afterAll(async () => {
    await browser?.close()
    if (server) {
      server.child.kill('SIGTERM')
      expect(await server.exited).toBe(0)
    }
  })

  // Setup happens inside the test, not in beforeAll, so that a missing Chromium counts as a
  // failed test in the report (a failing beforeAll only marks the test skipped).
  it('authorizes, runs the DCV operation with its examples, shows 200 and a problem, and keeps the key over a reload', { timeout: 90_000 }, async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: this test needs Debian's chromium package. ` +
          '.ci/run installs it (apt-get install chromium); locally run `sudo apt-get install chromium`, ' +
          'or set CHROMIUM_PATH to another Chromium or Chrome binary.'
      )
    }
    await rm(SCREENSHOTS, { recursive: true, force: true })
    await mkdir(SCREENSHOTS, { recursive: true })
    server = await startServer({ API_KEYS })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: WAIT_MS })
    const url = server.url

    // The premise: with keys configured, a call without the key is refused.
    const anonymous = await request(`${url}/orders/1000001/dcv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'CNAME_CSR_HASH' })
    })
    await anonymous.body.dump()
    expect(anonymous.statusCode).toBe(401)

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT_MS)
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    try {
      await page.goto(`${url}/docs`, { timeout: WAIT_MS })
      await page.locator('#operations-dcv-updateOrderDcv').waitFor({ timeout: WAIT_MS })

      // Authorize with the bearer key.
      const authorize = page.locator('.auth-wrapper .btn.authorize')
      await expect.poll(() => authorize.getAttribute('class'), { timeout: WAIT_MS }).toContain('unlocked')
      await authorize.click()
      const modal = page.locator('.modal-ux')
      await modal.locator('.auth-container input').fill(KEY)
      await modal.locator('.auth-container button[type="submit"]').click()
      await modal.locator('.auth-container h6', { hasText: 'Authorized' }).waitFor()
      await modal.locator('.close-modal').click()
      await modal.waitFor({ state: 'detached' })
      // "locked", not "unlocked": \b does not match inside the word.
      expect(await authorize.getAttribute('class')).toMatch(/\blocked\b/)

      // A successful call.
      let op = await expand(page, 'operations-dcv-updateOrderDcv')
      await fillRequest(op, '1000001', 'singleOrderCname', { method: 'CNAME_CSR_HASH' })
      const ok = await execute(op)
      await screenshot(page, 'dcv-200.png')
      expect({ status: ok.status, body: ok.body }).toEqual({
        status: '200',
        body: { orderNumber: '1000001', domains: [{ method: 'CNAME_CSR_HASH' }] }
      })

      // A failing one: a problem document, with its content type.
      await fillRequest(op, '1000004', 'alreadyValidated', { method: 'CNAME_CSR_HASH', domainName: 'example.net' })
      const failed = await execute(op)
      await screenshot(page, 'dcv-409.png')
      expect(failed).toMatchObject({ status: '409', body: { type: '/problems/domain-already-validated', status: 409 } })
      expect(failed.headers).toMatch(/content-type: application\/problem\+json/)

      // After a reload the key is still there: the button is locked and a call goes through.
      await page.reload({ timeout: WAIT_MS })
      await page.locator('#operations-dcv-updateOrderDcv').waitFor({ timeout: WAIT_MS })
      await expect.poll(() => authorize.getAttribute('class'), { timeout: WAIT_MS }).toMatch(/\blocked\b/)
      op = await expand(page, 'operations-dcv-updateOrderDcv')
      await fillRequest(op, '1000001', 'singleOrderCname', { method: 'CNAME_CSR_HASH' })
      const afterReload = await execute(op)
      await screenshot(page, 'dcv-200-after-reload.png')
      expect(afterReload).toMatchObject({ status: '200', body: { orderNumber: '1000001' } })
      expect(afterReload.curl).toContain(`Authorization: Bearer ${KEY}`)

      expect(pageErrors).toEqual([])
    } catch (err) {
      await screenshot(page, 'failure.png').catch(() => undefined)
      throw err
    } finally {
      await context.close()
    }
  })
})
