// A person on a phone: scan → apply → approve in the DingTalk console → status page and inbox,
// in Debian's Chromium at 390×844. Screenshots land in test/artifacts/ for a human to look at.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { featureCodeCheck } from '../worker/src/contract/feature-code-check.ts'
import { applicationInput, ARTIFACTS, decideInSandbox, emailsTo, eventually, instanceFor, instanceIdOf, json, runCronAt, startTestStack, statusOfApplication, submitApplication } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const FEATURE_CODE = 'HM-9C41-7A2E-55D0-B3F8-1E6A-0D77-C2B9-4F18-8A3D-6E05-91BC-27F4-D6A1-3B8E'

let stack: Stack
let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`)
  stack = await startTestStack('browser')
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
})

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

describe('a customer on a phone', () => {
  it('applies from the QR link, gets approved, and follows the status to the emailed license', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', deviceScaleFactor: 2, isMobile: true, hasTouch: true })
    const page = await context.newPage()
    // The page must work under its own CSP: any violation Chromium reports is a failure.
    const violations: string[] = []
    page.on('console', (message) => message.text().includes('Content Security Policy') && violations.push(message.text()))
    const email = `phone-${Date.now()}@example.com`

    await page.goto(`${stack.urls.worker}/apply?fc=${encodeURIComponent(FEATURE_CODE)}&product=hypermotion&c=${await featureCodeCheck(FEATURE_CODE)}`)
    const featureCode = page.getByLabel('Feature code')
    expect(await featureCode.inputValue()).toBe(FEATURE_CODE)
    expect(await featureCode.isEditable()).toBe(false)

    // A field error shows before submit.
    await page.getByLabel('Email').fill('not-an-email')
    await page.getByLabel('Email').blur()
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true')

    await page.getByLabel('Name', { exact: true }).fill('Li Wei')
    await page.getByLabel('Company').fill('Example Cloud Ltd.')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Quantity').fill('12')
    await page.getByRole('radiogroup', { name: 'Validity' }).getByRole('radio').nth(1).check()
    await page.getByLabel('Note (optional)').fill('Production cluster')
    // Turnstile (the sandbox's widget, through the real page and worker code): asked for first.
    await page.getByRole('button', { name: 'Submit application' }).click()
    await page.getByText('Please complete the human check above the submit button first.').waitFor()
    await page.getByRole('checkbox', { name: 'Verify you are human' }).click()
    await page.getByText('Success').waitFor()
    expect(await page.getByText('Please complete the human check').count()).toBe(0)
    await page.screenshot({ path: join(ARTIFACTS, 'apply-filled.png'), fullPage: true })
    await page.getByRole('button', { name: 'Submit application' }).click()

    // The confirmation is the application's status page, its URL the private link.
    await page.getByTestId('first-visit').waitFor({ timeout: 15_000 })
    const applicationId = (await page.getByTestId('application-id').textContent())?.trim()
    expect(applicationId).toBeTruthy()
    await page.screenshot({ path: join(ARTIFACTS, 'apply-submitted.png'), fullPage: true })
    const statusHref = page.url()
    expect(statusHref).toContain(`/status/${applicationId}?t=`)

    // The approver, in the sandbox DingTalk console.
    const instance = await instanceFor(stack, applicationId!)
    const approver = await context.newPage()
    await approver.goto(stack.urls.console)
    const card = approver.locator(`[data-instance-id="${instanceIdOf(instance)}"]`)
    expect(await card.textContent()).toContain(FEATURE_CODE)
    expect(await card.textContent()).toContain('Example Cloud Ltd.')
    await approver.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true })
    await card.getByRole('button', { name: 'Approve' }).click()

    await eventually(async () => (await emailsTo(stack, email)).length > 0, 'the license email')
    await page.goto(new URL(statusHref!, stack.urls.worker).toString())
    await page.getByRole('heading', { name: 'Application status' }).waitFor()
    await eventually(async () => {
      await page.reload()
      const items = await page.getByRole('listitem').allTextContents()
      return items.length >= 5
    }, 'five timeline steps on the status page')
    await page.screenshot({ path: join(ARTIFACTS, 'status.png'), fullPage: true })
    expect(violations).toEqual([])

    const inbox = await context.newPage()
    await inbox.goto(stack.urls.inbox)
    expect(await inbox.content()).toContain(email)
    await inbox.screenshot({ path: join(ARTIFACTS, 'inbox.png'), fullPage: true })
    await context.close()
  })

  it('shows the page in Chinese for a Chinese phone, with the feature code editable without a QR', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true })
    const page = await context.newPage()
    await page.goto(`${stack.urls.worker}/apply?product=hypermotion`)
    const featureCode = page.getByLabel('特征码')
    expect(await featureCode.isEditable()).toBe(true)
    await page.getByRole('button', { name: '提交申请' }).click()
    expect(await page.getByLabel('姓名').getAttribute('aria-invalid')).toBe('true')
    await page.screenshot({ path: join(ARTIFACTS, 'apply-zh-errors.png'), fullPage: true })
    await context.close()
  })

  it('a license that cannot be mailed: the status page asks to contact sales until the alert was sent, then says the team was alerted', async () => {
    const input = applicationInput()
    await json(`${stack.urls.sandbox}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mailRejectTo: [input.email] }) })
    const submitted = await submitApplication(stack, input)
    expect(submitted.status).toBe(201)
    await decideInSandbox(stack, submitted.body.id)
    await eventually(async () => (await statusOfApplication(stack, submitted.body.statusUrl)).body.status === 'failed', 'the application failed')
    expect((await statusOfApplication(stack, submitted.body.statusUrl)).body.alerted).toBe(false)

    const shoot = async (name: string, expected: Record<'en' | 'zh', string>) => {
      for (const [locale, lang] of [['en-US', 'en'], ['zh-CN', 'zh']] as const) {
        for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const) {
          const context = await browser.newContext({ viewport, locale, isMobile: size === 'phone' })
          const page = await context.newPage()
          await page.goto(new URL(new URL(submitted.body.statusUrl).pathname + new URL(submitted.body.statusUrl).search, stack.urls.worker).toString())
          const summary = page.getByTestId('application-status')
          await summary.waitFor()
          expect(await summary.textContent()).toContain(expected[lang])
          await page.screenshot({ path: join(ARTIFACTS, `status-${name}-${lang}-${size}.png`), fullPage: true })
          await context.close()
        }
      }
    }
    await shoot('failed', { en: 'contact our support', zh: '请联系我们的支持人员' })

    await runCronAt(stack)
    await eventually(async () => (await statusOfApplication(stack, submitted.body.statusUrl)).body.alerted === true, 'the alert sent')
    await shoot('failed-alerted', { en: 'Our team has been alerted', zh: '工作人员已收到通知' })

    // The alert as the operations mailbox shows it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const inbox = await context.newPage()
    await inbox.goto(stack.urls.inbox)
    await inbox.getByText('ALERT APPLICATION_FAILED').first().click()
    await inbox.waitForTimeout(300)
    await inbox.screenshot({ path: join(ARTIFACTS, 'inbox-alert.png'), fullPage: true })
    const mails = (await emailsTo(stack, 'ops@licensedesk.local')).filter((mail) => mail.subject.includes(`APPLICATION_FAILED (${submitted.body.id})`))
    expect(mails).toHaveLength(1)
    await context.close()
  })

  it('a second request for the same machine from the same email shows the pending one by its number, without a status link', async () => {
    const first = applicationInput()
    expect((await submitApplication(stack, first)).status).toBe(201)
    for (const [locale, lang, heading] of [['en-US', 'en', 'You have already applied for this machine'], ['zh-CN', 'zh', '您已提交过此申请']] as const) {
      for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const) {
        const context = await browser.newContext({ viewport, locale, isMobile: size === 'phone' })
        const page = await context.newPage()
        await page.goto(`${stack.urls.worker}/apply?fc=${encodeURIComponent(first.featureCode)}&product=hypermotion&c=${await featureCodeCheck(first.featureCode)}`)
        await page.locator('#f-name').fill(String(first.name))
        await page.locator('#f-company').fill(String(first.company))
        await page.locator('#f-email').fill(first.email.toUpperCase())
        await page.getByRole('checkbox', { name: lang === 'en' ? 'Verify you are human' : '确认您是真人' }).click()
        await page.getByText(lang === 'en' ? 'Success' : '成功').waitFor()
        await page.locator('button[type=submit]').click()
        await page.getByRole('heading', { name: heading }).waitFor({ timeout: 15_000 })
        expect(await page.getByTestId('application-id').textContent()).toContain((await submitApplication(stack, first)).body.id)
        expect(await page.locator('.link-box').count()).toBe(0)
        await page.screenshot({ path: join(ARTIFACTS, `apply-existing-${lang}-${size}.png`), fullPage: true })
        await context.close()
      }
    }
  })
})
