// Renewal, end to end in Chromium at phone size: a license near its end (cron run at a shifted
// time) → the reminder in the sandbox mailbox → its link opens the apply page prefilled → submit →
// approve in the sandbox → the new license starts when the old one ends. Screenshots of the page
// and the reminder mail (zh-CN and en, 390×844 and 1280×800) land in test/artifacts/.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { renderRenewalReminderMail } from '../worker/src/mail/renewal-reminder.ts'
import type { Vendor } from '../worker/src/shapes.ts'
import { applicationInput, ARTIFACTS, decideInSandbox, emailsTo, eventually, instanceFor, instanceIdOf, runCronAt, startTestStack, statusOfApplication, submitApplication, type SandboxEmail } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const SIZES = [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const
const DAY_MS = 86_400_000

let stack: Stack
let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`)
  stack = await startTestStack('renewal')
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

const isReminder = (mail: SandboxEmail) => mail.tags?.some((tag) => tag.name === 'kind' && tag.value === 'renewal_reminder') ?? false
/** The link as the worker under test serves it (PUBLIC_ORIGIN may name another host). */
const onWorker = (url: string) => new URL(new URL(url).pathname + new URL(url).search, stack.urls.worker).toString()

describe('renewal', () => {
  it('reminds before the end, opens the prefilled page from the mail, and the renewal starts when the old license ends', { timeout: 180_000 }, async () => {
    const input = applicationInput({ locale: 'en', validityDays: 90, quantity: 12, name: 'Li Wei', timeZone: 'Asia/Shanghai' })
    const submitted = await submitApplication(stack, input)
    expect(submitted.status).toBe(201)
    await decideInSandbox(stack, submitted.body.id)
    const old = await eventually(async () => (await statusOfApplication(stack, submitted.body.statusUrl)).body.license ?? undefined, 'the first license')

    // Six days before its end: the 7-day reminder.
    await runCronAt(stack, Date.parse(old.expiresAt) - 6 * DAY_MS)
    const reminder = await eventually(async () => (await emailsTo(stack, input.email)).find(isReminder), 'the renewal reminder')
    expect(reminder.subject).toBe(`Your HyperMotion license ${old.id} expires soon: renew it`)
    const link = /https?:\/\/\S+\/apply\?renew=\S+/.exec(reminder.text ?? '')?.[0]
    expect(link).toContain(`renew=${old.id}`)

    // The page the link opens, in both languages and sizes.
    for (const [locale, lang] of [['en-US', 'en'], ['zh-CN', 'zh']] as const) {
      for (const [size, viewport] of SIZES) {
        const context = await browser.newContext({ viewport, locale, isMobile: size === 'phone', deviceScaleFactor: size === 'phone' ? 2 : 1 })
        const page = await context.newPage()
        await page.goto(onWorker(link!))
        await page.getByTestId('renewal-line').waitFor()
        expect(await page.getByTestId('renewal-line').textContent()).toContain(old.id)
        expect(await page.locator('#f-featureCode').inputValue()).toBe(input.featureCode)
        expect(await page.locator('#f-featureCode').isEditable()).toBe(false)
        expect(await page.locator('#f-quantity').inputValue()).toBe('12')
        expect(await page.locator('#f-email').inputValue()).toBe(input.email)
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width)
        await page.screenshot({ path: join(ARTIFACTS, `renewal-page-${lang}-${size}.png`), fullPage: true })
        await context.close()
      }
    }

    // The customer renews for 180 days, on a phone.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true })
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (message) => message.text().includes('Content Security Policy') && violations.push(message.text()))
    await page.goto(onWorker(link!))
    await page.getByTestId('renewal-line').waitFor()
    await page.getByRole('radiogroup', { name: 'Validity' }).getByRole('radio').nth(2).check()
    await page.getByRole('checkbox', { name: 'Verify you are human' }).click()
    await page.getByText('Success').waitFor()
    await page.getByRole('button', { name: 'Submit application' }).click()
    await page.getByTestId('first-visit').waitFor({ timeout: 15_000 })
    const renewalId = (await page.getByTestId('application-id').textContent())?.trim()
    const statusUrl = page.url()
    expect(violations).toEqual([])
    await context.close()

    // The approver is told which license it renews.
    const instance = await instanceFor(stack, renewalId!)
    const field = instance.formComponentValues.find((value) => value.name === '续期')
    expect(field?.value).toContain(`许可证 ${old.id}`)
    expect(field?.value).toContain('数量 12')
    // As the approver sees it in the sandbox's DingTalk console.
    const approverContext = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const approver = await approverContext.newPage()
    await approver.goto(stack.urls.console)
    const card = approver.locator(`[data-instance-id="${instanceIdOf(instance)}"]`)
    expect(await card.textContent()).toContain(old.id)
    await card.screenshot({ path: join(ARTIFACTS, 'renewal-approval.png') })
    await approverContext.close()
    await decideInSandbox(stack, renewalId!)
    const renewed = await eventually(async () => (await statusOfApplication(stack, statusUrl)).body.license ?? undefined, 'the renewal license')
    expect(renewed.notBefore).toBe(old.expiresAt)
    const licenseMail = await eventually(async () => (await emailsTo(stack, input.email)).find((mail) => mail.subject.includes(renewed.id)), 'the renewal license mail')
    expect(licenseMail.text).toContain(`This license renews license ${old.id}.`)
    expect(Date.parse(renewed.expiresAt) - Date.parse(renewed.notBefore)).toBe(180 * DAY_MS)
    // No second reminder for a renewed license.
    await runCronAt(stack, Date.parse(old.expiresAt) - 5 * DAY_MS)
    expect((await emailsTo(stack, input.email)).filter(isReminder)).toHaveLength(1)
  })

  it('an operator turns the reminders of a product off in the console, and a license near its end gets none', { timeout: 120_000 }, async () => {
    const input = applicationInput({ locale: 'en', validityDays: 90 })
    const submitted = await submitApplication(stack, input)
    await decideInSandbox(stack, submitted.body.id)
    const license = await eventually(async () => (await statusOfApplication(stack, submitted.body.statusUrl)).body.license ?? undefined, 'the license')

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
    const page = await context.newPage()
    await page.goto(`${stack.urls.admin}/licenses`)
    await page.getByRole('button', { name: 'Sign in as ops@licensedesk.local' }).click()
    const card = page.getByTestId('renewal-reminders')
    await card.getByRole('button', { name: 'Turn off for HyperMotion' }).click()
    await card.getByText('Changed by ops@licensedesk.local').waitFor()
    expect(await card.textContent()).toContain('Off')
    await card.screenshot({ path: join(ARTIFACTS, 'renewal-console-card.png') })

    await runCronAt(stack, Date.parse(license.expiresAt) - 6 * DAY_MS)
    await new Promise((done) => setTimeout(done, 1500))
    expect((await emailsTo(stack, input.email)).filter(isReminder)).toHaveLength(0)

    await card.getByRole('button', { name: 'Turn on for HyperMotion' }).click()
    await card.getByRole('button', { name: 'Turn off for HyperMotion' }).waitFor()
    await context.close()
    await runCronAt(stack, Date.parse(license.expiresAt) - 5 * DAY_MS)
    await eventually(async () => (await emailsTo(stack, input.email)).find(isReminder), 'the reminder once turned on again')
  })

  it('lays the reminder mail out on a phone and a desktop in both languages, without sideways scrolling', async () => {
    const vendor: Vendor = { name: 'HyperMotion', supportEmail: 'support@hypermotion.cn', supportPhone: '+86 21 5555 0100', privacyUrl: 'https://www.hypermotion.cn/privacy', logoUrl: null, footer: '沪ICP备00000000号' }
    for (const locale of ['zh-CN', 'en'] as const) {
      const mail = renderRenewalReminderMail({
        locale,
        timeZone: locale === 'zh-CN' ? 'Asia/Shanghai' : 'Europe/Berlin',
        vendor,
        name: locale === 'zh-CN' ? '张三' : 'Li Wei',
        productName: 'HyperMotion',
        applicationId: 'LD-7K3M9Q2X4P0B',
        licenseId: 'LIC-5W8N2R7T1Y4H',
        featureCode: 'HM-9C41-7A2E-55D0-B3F8-1E6A-0D77-C2B9-4F18-8A3D-6E05-91BC-27F4-D6A1-3B8E',
        quantity: 12,
        expiresAt: Date.UTC(2027, 3, 15, 4, 11) / 1000,
        renewalUrl: 'https://licenses.hypermotion.cn/apply?renew=LIC-5W8N2R7T1Y4H&t=Qm9vbGVhbl9yZW5ld2FsX3Rva2VuX2V4YW1wbGVfMTIzNDU',
      })
      for (const [size, viewport] of SIZES) {
        const context = await browser.newContext({ viewport, locale, isMobile: size === 'phone', deviceScaleFactor: size === 'phone' ? 2 : 1 })
        const page = await context.newPage()
        await page.setContent(mail.html, { waitUntil: 'load' })
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width)
        await page.screenshot({ path: join(ARTIFACTS, `mail-renewal-reminder-${locale === 'zh-CN' ? 'zh' : 'en'}-${size}.png`), fullPage: true })
        await context.close()
      }
    }
  })
})
