// The operator console end to end: Chromium signs in through the sandbox's Cloudflare Access
// (sign-in page → front door → worker, which verifies the token itself) and uses its views over
// seeded applications; straight to the worker, without the front door, the console answers 401.
// Screenshots (desktop and phone, zh-CN and en) land in test/artifacts/ for a person to look at.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, ARTIFACTS, decideInSandbox, eventually, json, startTestStack, statusOfApplication, submitApplication } from './helpers.ts'

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
    // The page and its built file, straight at the worker: the guard answers before the assets do.
    for (const path of ['/admin', '/admin/', '/admin/index.html', '/admin/applications/LD-X']) {
      const page = await fetch(`${stack.urls.worker}${path}`, { redirect: 'manual' })
      expect([path, page.status]).toEqual([path, 401])
      expect(page.headers.get('content-type')).toMatch(/^application\/json/)
    }
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
    await page.getByTestId('staff-email').waitFor()
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

  it('signs in the group-only operator (on no email list, in license-desk-operators): the worker asks get-identity and makes an operator', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
    const page = await context.newPage()
    await page.goto(stack.urls.admin)
    await page.getByRole('button', { name: 'Sign in as grouped@licensedesk.local' }).click()
    await page.getByTestId('staff-email').waitFor()
    expect(await page.getByTestId('staff-role').textContent()).toBe('operator')
    const me = await context.request.get(`${stack.urls.access}/api/admin/me`)
    expect(await me.json()).toEqual({ email: 'grouped@licensedesk.local', role: 'operator' })
    const ping = await context.request.post(`${stack.urls.access}/api/admin/ping`, { headers: { origin: stack.urls.access, 'content-type': 'application/json' }, data: '{}' })
    expect(ping.status()).toBe(200)
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
    await page.getByTestId('staff-email').waitFor()
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

describe('the console views over seeded applications', () => {
  type Seeded = { id: string; featureCode: string; email: string }
  let delivered: Seeded
  let rejected: Seeded
  let pending: Seeded
  let again: Seeded
  let instanceId: string

  async function seed(overrides: Record<string, unknown> = {}): Promise<Seeded> {
    const input = applicationInput(overrides)
    const submitted = await submitApplication(stack, input)
    expect([201, 202]).toContain(submitted.status)
    return { id: submitted.body.id, featureCode: input.featureCode, email: input.email, statusUrl: submitted.body.statusUrl } as Seeded & { statusUrl: string }
  }

  beforeAll(async () => {
    ;[delivered, rejected, pending, again] = await Promise.all([seed({ validityDays: 30 }), seed({ company: 'Rejected Works' }), seed({ company: 'Pending & Sons' }), seed()])
    instanceId = await decideInSandbox(stack, delivered.id, 'approve')
    await decideInSandbox(stack, rejected.id, 'reject')
    const statusUrl = (delivered as Seeded & { statusUrl: string }).statusUrl
    await eventually(async () => (await statusOfApplication(stack, statusUrl)).body.status === 'delivered', `${delivered.id} delivered`)
  })

  /** A signed-in operator's browser state, for contexts of any size and language. */
  async function signIn(): Promise<Awaited<ReturnType<Awaited<ReturnType<Browser['newContext']>>['storageState']>>> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
    const page = await context.newPage()
    await page.goto(stack.urls.admin)
    await page.getByRole('button', { name: 'Sign in as ops@licensedesk.local' }).click()
    await page.getByTestId('staff-email').waitFor()
    const state = await context.storageState()
    await context.close()
    return state
  }

  it('lists, searches and opens applications, and shows attention, health and licenses with the CSV', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', storageState: await signIn() })
    const page = await context.newPage()
    const violations = watchCsp(page)
    await page.goto(stack.urls.admin)

    // Newest first, every seeded one; the company's markup shows as text, never as elements.
    const list = page.getByRole('table')
    for (const app of [pending, rejected, delivered]) await list.getByRole('link', { name: app.id }).waitFor()
    expect(await page.getByText('Pending & Sons').first().isVisible()).toBe(true)
    expect(await page.getByText('杭州示例科技有限公司 <Test & Co>').first().isVisible()).toBe(true)
    expect(await page.locator('test, co').count()).toBe(0)

    // Search by feature code: the one application.
    await page.getByLabel('Search', { exact: true }).fill(delivered.featureCode.toLowerCase())
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await eventually(async () => (await list.getByRole('row').count()) === 2, 'one result row')
    expect(await list.getByRole('link', { name: delivered.id }).count()).toBe(1)
    expect(new URL(page.url()).searchParams.get('q')).toBe(delivered.featureCode.toLowerCase())

    // Filter by status: the rejected one.
    await page.getByLabel('Search', { exact: true }).fill('')
    await page.getByLabel('Status').selectOption('rejected')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await list.getByRole('link', { name: rejected.id }).waitFor()
    expect(await list.getByRole('link', { name: delivered.id }).count()).toBe(0)
    await page.getByRole('button', { name: 'Clear' }).click()
    await list.getByRole('link', { name: delivered.id }).waitFor()

    // One application: fields, the trail in order with who did it, the license and the delivery.
    await list.getByRole('link', { name: delivered.id }).click()
    await page.getByRole('heading', { name: delivered.id }).waitFor()
    expect(new URL(page.url()).pathname).toBe(`/admin/applications/${delivered.id}`)
    expect(await page.getByTestId('dingtalk-instance').textContent()).toBe(instanceId)
    const trail = page.getByRole('list').filter({ has: page.getByText('application.submitted') })
    // A mail that met Resend's rate limit adds a delivery.attempt_failed before its delivery.sent.
    const types = (await trail.locator('.trail-type').allTextContents()).filter((type) => type !== 'delivery.attempt_failed')
    expect(types[0]).toBe('application.submitted')
    expect(types.slice(-2)).toEqual(['license.issued', 'delivery.sent'])
    expect(await trail.getByText('By: DingTalk').count()).toBeGreaterThan(0)
    await page.getByRole('region', { name: 'Licenses' }).getByText(/^LIC-/).waitFor()
    // The acknowledgement and the license mail: both sent.
    await page.getByRole('region', { name: 'Deliveries' }).getByText('Sent').first().waitFor()

    // A deep link loads the page from the worker (behind the guard) and lands on the same view.
    await page.goto(`${stack.urls.access}/admin/applications/${rejected.id}`)
    await page.getByRole('heading', { name: rejected.id }).waitFor()
    await page.getByRole('region', { name: 'Application' }).getByText('Rejected Works').waitFor()

    await page.getByRole('navigation').getByRole('link', { name: 'Needs attention' }).click()
    await page.getByRole('heading', { name: 'Failed applications' }).waitFor()
    // The same company twice within 30 days: both applications, linked.
    const repeats = page.getByRole('region', { name: /^Repeated companies/ })
    await repeats.getByRole('link', { name: delivered.id }).waitFor()
    expect(await repeats.getByRole('link', { name: again.id }).count()).toBe(1)
    await page.getByRole('navigation').getByRole('link', { name: 'Health' }).click()
    await page.getByRole('heading', { name: 'Egress proxies' }).waitFor()
    // The heading renders before the health data arrives: wait for the first proxy's row.
    const proxies = page.getByRole('table').filter({ hasText: 'Egress address' })
    await proxies.getByRole('row').nth(1).waitFor({ timeout: 15_000 })
    expect(await proxies.getByRole('row').count()).toBeGreaterThan(1)
    await page.getByRole('navigation').getByRole('link', { name: 'Licenses' }).click()
    await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor()
    await page.getByRole('link', { name: delivered.id }).waitFor()
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')
    expect(href).toBe('/api/admin/licenses.csv?expiringWithin=30')
    const csv = await context.request.get(new URL(href!, stack.urls.access).href)
    expect(csv.status()).toBe(200)
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/)
    expect(await csv.text()).toContain(delivered.id)

    // The page under the worker's headers: its CSP, never cached.
    const served = await context.request.get(`${stack.urls.access}/admin/licenses`)
    expect(served.headers()['content-security-policy']).toContain("script-src 'self';")
    expect(served.headers()['cache-control']).toBe('no-store')

    // The language switch.
    await page.getByRole('button', { name: '中文' }).click()
    await page.getByRole('heading', { name: '许可证', level: 1 }).waitFor()
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN')
    expect(violations).toEqual([])
    await context.close()
  })

  it('says the session ended, with a way back in, when the API answers 401', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', storageState: await signIn() })
    const page = await context.newPage()
    await page.goto(`${stack.urls.access}/admin/health`)
    await page.getByRole('heading', { name: 'Egress proxies' }).waitFor()
    await page.route('**/api/admin/**', (route) => route.fulfill({ status: 401, contentType: 'application/json', body: '{"error":{"code":"ACCESS_REQUIRED","message":"x"}}' }))
    await page.getByRole('navigation').getByRole('link', { name: 'Needs attention' }).click()
    await page.getByRole('alert').getByText('Your sign-in has expired').waitFor()
    await page.getByRole('button', { name: 'Reload and sign in' }).waitFor()
    await context.close()
  })

  it('looks right on a desktop and a phone, in Chinese and English (screenshots)', async () => {
    const state = await signIn()
    const views = [
      ['list', '/admin'],
      ['detail', `/admin/applications/${delivered.id}`],
      ['attention', '/admin/attention'],
      ['health', '/admin/health'],
      ['licenses', '/admin/licenses'],
    ] as const
    const sizes = [
      ['desktop', { viewport: { width: 1280, height: 800 } }],
      ['phone', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
    ] as const
    await Promise.all(
      sizes.flatMap(([size, device]) =>
        (['en', 'zh-CN'] as const).map(async (locale) => {
          const context = await browser.newContext({ ...device, locale, storageState: state })
          const page = await context.newPage()
          const violations = watchCsp(page)
          for (const [name, path] of views) {
            await page.goto(`${stack.urls.access}${path}`)
            await page.locator('.console-main h1').first().waitFor()
            await page.getByTestId('staff-email').waitFor()
            await page.locator('.loading').waitFor({ state: 'detached' })
            await page.screenshot({ path: join(ARTIFACTS, `console-${name}-${size}-${locale}.png`), fullPage: true })
          }
          // At 390 px nothing is wider than the screen: tables turned into cards.
          if (size === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
          expect(violations).toEqual([])
          await context.close()
        }),
      ),
    )
  })
})
