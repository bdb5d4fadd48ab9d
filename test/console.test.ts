// The operator console's door, end to end: Chromium signs in through the sandbox's Cloudflare
// Access (sign-in page → front door → worker, which verifies the token itself) and sees /admin;
// straight to the worker, without the front door, the console answers 401. Screenshots of the
// sign-in page and the console land in test/artifacts/ for a person to look at.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { ARTIFACTS, json, startTestStack } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let stack: Stack
let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`)
  ;[stack, browser] = await Promise.all([startTestStack('console'), chromium.launch({ executablePath: CHROMIUM, args: FLAGS })])
})

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

/** Fails the test on any CSP violation Chromium reports on the page. */
function watchCsp(page: Page): string[] {
  const violations: string[] = []
  page.on('console', (message) => message.text().includes('Content Security Policy') && violations.push(message.text()))
  return violations
}

describe('the operator console behind the sandbox Access', () => {
  it('is closed straight at the worker: 401 without the front door, whatever header is claimed', async () => {
    const bare = await json(`${stack.urls.worker}/api/admin/me`)
    expect([bare.status, bare.body]).toEqual([401, { error: { code: 'ACCESS_REQUIRED', message: expect.any(String) } }])
    const forged = await json(`${stack.urls.worker}/api/admin/me`, { headers: { 'cf-access-jwt-assertion': 'eyJhbGciOiJub25lIn0.eyJlbWFpbCI6Im9wc0BsaWNlbnNlZGVzay5sb2NhbCJ9.' } })
    expect([forged.status, forged.body.error.code]).toEqual([401, 'ACCESS_INVALID'])
    const page = await fetch(`${stack.urls.worker}/admin`)
    expect(page.status).toBe(401)
    expect(page.headers.get('content-type')).toMatch(/^application\/json/)
  })

  it('signs the operator in with one click on a phone, and the worker shows who and which role', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' })
    const page = await context.newPage()
    const violations = watchCsp(page)

    await page.goto(stack.urls.admin)
    await page.getByRole('heading', { name: `Sign in to ${new URL(stack.urls.access).host}` }).waitFor()
    expect(new URL(page.url()).origin).toBe(stack.urls.sandbox)
    await page.screenshot({ path: join(ARTIFACTS, 'access-login-phone.png'), fullPage: true })

    await page.getByRole('button', { name: 'Sign in as ops@licensedesk.local' }).click()
    await page.getByRole('heading', { name: 'Operator console' }).waitFor()
    expect(page.url()).toBe(stack.urls.admin)
    expect(await page.getByTestId('staff-email').textContent()).toBe('ops@licensedesk.local')
    expect(await page.getByTestId('staff-role').textContent()).toBe('operator')
    await page.screenshot({ path: join(ARTIFACTS, 'console-operator-phone.png'), fullPage: true })
    expect(violations).toEqual([])

    // The session (cookie) goes through the front door to the API; the operator may act from the console's origin only.
    const me = await context.request.get(`${stack.urls.access}/api/admin/me`)
    expect(await me.json()).toEqual({ email: 'ops@licensedesk.local', role: 'operator' })
    const ping = (origin: string) => context.request.post(`${stack.urls.access}/api/admin/ping`, { headers: { origin, 'content-type': 'application/json' }, data: '{}' })
    expect((await ping(stack.urls.access)).status()).toBe(200)
    expect((await (await ping('https://evil.example')).json()).error.code).toBe('CROSS_SITE_REFUSED')
    // The same browser, straight to the worker: its cookie is no way in.
    const direct = await context.request.get(`${stack.urls.worker}/api/admin/me`)
    expect(direct.status()).toBe(401)
    await context.close()
  })

  it('signs a viewer in by typed email on a desktop; the viewer may look, not act', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
    const page = await context.newPage()
    const violations = watchCsp(page)
    await page.goto(stack.urls.admin)
    await page.getByLabel('Email').fill('viewer@licensedesk.local')
    await page.screenshot({ path: join(ARTIFACTS, 'access-login-desktop.png'), fullPage: true })
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { name: 'Operator console' }).waitFor()
    expect(await page.getByTestId('staff-role').textContent()).toBe('viewer')
    await page.screenshot({ path: join(ARTIFACTS, 'console-viewer-desktop.png'), fullPage: true })
    expect(violations).toEqual([])

    const ping = await context.request.post(`${stack.urls.access}/api/admin/ping`, { headers: { origin: stack.urls.access, 'content-type': 'application/json' }, data: '{}' })
    expect([ping.status(), (await ping.json()).error.code]).toEqual([403, 'ROLE_OPERATOR_REQUIRED'])

    await page.getByRole('link', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Signed out' }).waitFor()
    const after = await context.request.get(`${stack.urls.access}/api/admin/me`, { maxRedirects: 0 })
    expect(after.status()).toBe(302)
    await context.close()
  })

  it('refuses someone Access lets in but the staff lists do not name: 403 ACCESS_FORBIDDEN', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    await page.goto(stack.urls.admin)
    await page.getByLabel('Email').fill('stranger@example.com')
    const answer = page.waitForResponse((response) => response.url() === stack.urls.admin)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    const response = await answer
    expect(response.status()).toBe(403)
    expect((await response.json()).error.code).toBe('ACCESS_FORBIDDEN')
    await context.close()
  })
})
