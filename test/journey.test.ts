// The customer's journey after submitting (issue 9, items 2 and 3), on a phone in Chromium at
// 390×844, in English and Chinese: the confirmation is the status page (reload, back, forward keep
// it), a reload mid-form and a lost answer still make one application, the acknowledgement mail
// arrives once, and after approval the license downloads from the status page and is sent again
// once. Screenshots land in test/artifacts/journey-*.png.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyLicense } from '../license/src/index.ts'
import type { Stack } from '../sandbox/src/stack.ts'
import { ARTIFACTS, decideInSandbox, emailsTo, eventually, isAcknowledgement, json, sleep, startTestStack, type SandboxInstance } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let stack: Stack
let browser: Browser

beforeAll(async () => {
  stack = await startTestStack('journey')
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
})

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

const TEXT = {
  en: {
    locale: 'en-US',
    human: 'Verify you are human',
    success: 'Success',
    applyHeading: 'Apply for a license',
    first: 'Application submitted',
    ack: 'We received your HyperMotion license request',
    download: 'Download license file',
    resend: 'Send it to my email again',
    resent: 'Sent again to',
    limited: 'You can ask again in',
  },
  zh: {
    locale: 'zh-CN',
    human: '确认您是真人',
    success: '成功',
    applyHeading: '申请软件许可证',
    first: '申请已提交',
    ack: '我们已收到您的 HyperMotion 许可证申请',
    download: '下载许可证文件',
    resend: '重新发送到我的邮箱',
    resent: '已重新发送到',
    limited: '分钟后再试',
  },
} as const

async function instancesFor(email: string): Promise<SandboxInstance[]> {
  const { body } = await json<{ data: SandboxInstance[] }>(`${stack.urls.sandbox}/_sandbox/instances`)
  return body.data.filter((instance) => instance.formComponentValues.some((field) => String(field.value).includes(email)))
}

/** A QR code without a check value: the code is shown back and must be confirmed (docs/integration.md). */
async function confirmCode(page: Page) {
  const box = page.locator('#f-featureCodeConfirm')
  await box.waitFor()
  if (!(await box.isChecked())) await box.check()
}

async function passTurnstile(page: Page, text: (typeof TEXT)['en' | 'zh']) {
  await page.getByRole('checkbox', { name: text.human }).click()
  await page.getByText(text.success).first().waitFor()
}

describe.each(['en', 'zh'] as const)('a customer on a phone (%s) after submitting', (lang) => {
  const text = TEXT[lang]

  it('lands on the status page, keeps it over reload, back and forward, and gets the license from it', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: text.locale, deviceScaleFactor: 2, isMobile: true, hasTouch: true, acceptDownloads: true })
    const page = await context.newPage()
    const email = `journey-${lang}-${Date.now()}@example.com`
    const featureCode = `HM-JOURNEY-${lang.toUpperCase()}-${Date.now()}`
    await page.goto(`${stack.urls.worker}/apply?fc=${encodeURIComponent(featureCode)}&product=hypermotion`)

    // Half the form, then a reload: what was typed is still there.
    await page.locator('#f-name').fill('Li Wei')
    await page.locator('#f-company').fill('Example Cloud Ltd.')
    await page.reload()
    expect(await page.locator('#f-name').inputValue()).toBe('Li Wei')
    await page.locator('#f-email').fill(email)
    await page.locator('#f-quantity').fill('3')

    // The first submit reaches the worker but its answer is lost on the way back.
    let lost = false
    await page.route('**/api/applications', async (route) => {
      if (lost || route.request().method() !== 'POST') return route.continue()
      lost = true
      await route.fetch()
      await route.abort('connectionreset')
    })
    await passTurnstile(page, text)
    await confirmCode(page)
    await page.locator('button[type=submit]').click()
    await page.getByRole('alert').waitFor()
    expect(lost).toBe(true)
    await page.unroute('**/api/applications')

    // A reload, and the same form again under the same Idempotency-Key: one application.
    await page.reload()
    expect(await page.locator('#f-email').inputValue()).toBe(email)
    await passTurnstile(page, text)
    await confirmCode(page)
    await page.locator('button[type=submit]').click()
    await page.getByTestId('first-visit').waitFor({ timeout: 15_000 })
    const id = (await page.getByTestId('application-id').textContent())?.trim() ?? ''
    expect(id).toMatch(/^LD-/)
    const statusUrl = page.url()
    expect(new URL(statusUrl).pathname).toBe(`/status/${id}`)
    expect(new URL(statusUrl).searchParams.get('t')).toBeTruthy()
    expect(await page.getByTestId('first-visit').textContent()).toContain(text.first)
    expect(await page.getByTestId('first-visit').textContent()).toContain(email)
    await page.screenshot({ path: join(ARTIFACTS, `journey-first-${lang}.png`), fullPage: true })
    expect(await instancesFor(email)).toHaveLength(1)

    // Reload: the same application, without the first-visit notice.
    await page.reload()
    await page.getByTestId('application-status').waitFor()
    expect(await page.getByTestId('application-id').textContent()).toContain(id)
    expect(await page.getByTestId('first-visit').count()).toBe(0)
    // Back: the apply page (a fresh form); forward: the application again.
    await page.goBack()
    await page.getByRole('heading', { name: text.applyHeading }).waitFor()
    expect(await page.locator('#f-email').inputValue()).toBe('')
    await page.goForward()
    await page.getByTestId('application-status').waitFor()
    expect(page.url()).toBe(statusUrl)
    expect(await page.getByTestId('application-id').textContent()).toContain(id)

    // The acknowledgement, once, with the number and the status link.
    const acks = async () => (await emailsTo(stack, email, { acknowledgements: true })).filter(isAcknowledgement)
    const [ack] = await eventually(async () => ((await acks()).length > 0 ? acks() : undefined), 'the acknowledgement mail')
    expect(ack.subject).toBe(`${text.ack} ${id}`)
    expect(ack.text).toContain(new URL(statusUrl).search.slice(3))

    // Approved in DingTalk: the page (polling) offers the file; it verifies against the JWKS.
    await decideInSandbox(stack, id)
    const link = page.getByRole('link', { name: text.download })
    await link.waitFor({ timeout: 30_000 })
    await page.getByTestId('application-status').and(page.locator('[data-status="delivered"]')).waitFor({ timeout: 30_000 })
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    expect(download.suggestedFilename()).toMatch(/^hypermotion-LIC-[0-9A-Z]{12}\.lic$/)
    const file = await readFile((await download.path())!, 'utf8')
    const { body: jwks } = await json(`${stack.urls.worker}/.well-known/jwks.json`)
    const claims = await verifyLicense(file, { keys: jwks, product: 'hypermotion', featureCode })
    expect(claims).toMatchObject({ aud: 'hypermotion', qty: 3 })
    await page.screenshot({ path: join(ARTIFACTS, `journey-download-${lang}.png`), fullPage: true })

    // "Send it again": one more license mail; a second click is limited.
    const licenseMails = async () => (await emailsTo(stack, email)).filter((mail) => (mail.attachments ?? []).length > 0)
    await eventually(async () => (await licenseMails()).length === 1, 'the license mail')
    await page.getByRole('button', { name: text.resend }).click()
    await page.getByTestId('resend-state').getByText(text.resent).waitFor()
    await eventually(async () => (await licenseMails()).length === 2, 'the license mailed again')
    await page.screenshot({ path: join(ARTIFACTS, `journey-resent-${lang}.png`), fullPage: true })
    await page.getByRole('button', { name: text.resend }).click()
    await page.getByTestId('resend-state').getByText(text.limited).waitFor()
    await page.screenshot({ path: join(ARTIFACTS, `journey-limited-${lang}.png`), fullPage: true })
    await sleep(1500)
    expect(await licenseMails()).toHaveLength(2)
    expect(await acks()).toHaveLength(1)
    await context.close()
  })
})
