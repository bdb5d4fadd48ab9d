// The apply page under the shared contract, in Debian's Chromium at 390×844 (zh-CN and en): the
// QR's check value, a 159-character code, Chinese phone formats, full-width digits, errors only
// after an edit, and the hand-typed code shown back. Screenshots: test/artifacts/contract-*.png.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { featureCodeCheck } from '../worker/src/contract/feature-code-check.ts'
import { ARTIFACTS, startTestStack, statusOfApplication } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
const TEXT = {
  en: { locale: 'en-US', code: 'Feature code', name: 'Name', company: 'Company', email: 'Email', phone: 'Phone (optional)', quantity: 'Quantity', submit: 'Submit application', human: 'Verify you are human', success: 'Success' },
  zh: { locale: 'zh-CN', code: '特征码', name: '姓名', company: '公司', email: '邮箱', phone: '电话（选填）', quantity: '数量', submit: '提交申请', human: '确认您是真人', success: '成功' },
} as const
type Lang = keyof typeof TEXT

let stack: Stack
let browser: Browser
let n = 0
const uniqueCode = (length: number) => `HM${Date.now().toString(16).toUpperCase()}${(n++).toString(16)}${'0123456789ABCDEF'.repeat(20)}`.slice(0, length)

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`)
  stack = await startTestStack('apply-contract')
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
})

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

async function open(lang: Lang, query: string): Promise<Page> {
  const context = await browser.newContext({ ...PHONE, locale: TEXT[lang].locale })
  const page = await context.newPage()
  await page.goto(`${stack.urls.worker}/apply?product=hypermotion${query}`)
  await page.getByLabel(TEXT[lang].code, { exact: true }).waitFor()
  return page
}

async function fillApplicant(page: Page, lang: Lang, extra: { phone?: string; quantity?: string } = {}) {
  const t = TEXT[lang]
  await page.getByLabel(t.name, { exact: true }).fill('Li Wei')
  await page.getByLabel(t.company).fill('Example Cloud Ltd.')
  await page.getByLabel(t.email).fill(`contract-${Date.now()}-${n++}@example.com`)
  if (extra.phone) await page.getByLabel(t.phone).fill(extra.phone)
  if (extra.quantity) await page.getByLabel(t.quantity).fill(extra.quantity)
  await page.getByRole('checkbox', { name: t.human }).click()
  await page.getByText(t.success).first().waitFor()
}

const submitted = (page: Page) => page.getByTestId('application-id').waitFor({ timeout: 15_000 })
const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `contract-${name}.png`), fullPage: true })

describe('the apply page under the shared contract', () => {
  for (const lang of ['en', 'zh'] as const) {
    it(`says a QR code with a wrong check value is damaged and lets the code be typed (${lang})`, async () => {
      const code = uniqueCode(40)
      const page = await open(lang, `&fc=${encodeURIComponent(code)}&c=000000`)
      const message = lang === 'en' ? 'This QR code is damaged — rescan it or type the code shown by the product.' : '此二维码已损坏：请重新扫描，或手动输入产品中显示的特征码。'
      await page.getByText(message).waitFor()
      const field = page.getByLabel(TEXT[lang].code, { exact: true })
      expect(await field.getAttribute('aria-invalid')).toBe('true')
      expect(await field.isEditable()).toBe(true)
      await shot(page, `damaged-${lang}`)
      // Submitting the damaged code is refused on the page.
      await fillApplicant(page, lang)
      await page.getByRole('button', { name: TEXT[lang].submit }).click()
      expect(await page.getByText(message).count()).toBe(1)
      expect(await page.getByTestId('application-id').count()).toBe(0)
      await page.context().close()
    })
  }

  it('submits a 159-character code from a verified QR with phone 138.0013.8000 and quantity ２５ (en)', async () => {
    const code = uniqueCode(159)
    const page = await open('en', `&fc=${encodeURIComponent(code)}&c=${await featureCodeCheck(code)}`)
    const field = page.getByLabel('Feature code', { exact: true })
    expect(await field.inputValue()).toBe(code)
    expect(await field.isEditable()).toBe(false)
    await page.getByText('Filled in from the product’s QR code and verified').waitFor()
    await fillApplicant(page, 'en', { phone: '138.0013.8000', quantity: '２５' })
    await page.getByLabel('Phone (optional)').blur()
    expect(await page.getByLabel('Phone (optional)').getAttribute('aria-invalid')).toBeNull()
    expect(await page.getByRole('checkbox', { name: /I checked that the code/ }).count()).toBe(0)
    await shot(page, 'qr159-en')
    const sent = page.waitForRequest((request) => request.method() === 'POST' && new URL(request.url()).pathname === '/api/applications')
    await page.getByRole('button', { name: 'Submit application' }).click()
    // The check value goes along, so the worker checks the code the QR vouched for once more.
    expect((await sent).postDataJSON()).toMatchObject({ featureCode: code, featureCodeCheck: await featureCodeCheck(code) })
    await submitted(page)
    // The confirmation is the application's status page: its address is the private link.
    const view = await statusOfApplication(stack, page.url())
    expect(view.body).toMatchObject({ featureCode: code, quantity: 25 })
    await shot(page, 'qr159-submitted-en')
    await page.context().close()
  })

  it('shows no error when the customer only tabs past empty fields, and one after an edit is left (zh)', async () => {
    const page = await open('zh', '')
    await page.getByLabel('姓名').focus()
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab')
    expect(await page.locator('[aria-invalid="true"]').count()).toBe(0)
    expect(await page.locator('.error').count()).toBe(0)
    await shot(page, 'tabbed-zh')
    // Edited and left: the message states the limit, and the input carries it as maxlength.
    expect(await page.getByLabel('姓名').getAttribute('maxlength')).toBe('100')
    await page.getByLabel('邮箱').fill('not-an-email')
    await page.getByLabel('邮箱').blur()
    expect(await page.getByLabel('邮箱').getAttribute('aria-invalid')).toBe('true')
    await page.getByLabel('电话（选填）').fill('call me')
    await page.getByLabel('电话（选填）').blur()
    await page.getByText('请输入有效的电话号码，例如 138 0013 8000 或 010-1234 5678 转 801').waitFor()
    await shot(page, 'edited-zh')
    await page.context().close()
  })

  it('shows a hand-typed code back for confirmation before submit, then submits with +86 138 0013 8000 转 801 (zh)', async () => {
    const code = uniqueCode(32)
    const page = await open('zh', '')
    await page.getByLabel('特征码', { exact: true }).fill(code)
    await fillApplicant(page, 'zh', { phone: '+86 138 0013 8000 转 801', quantity: '２５' })
    await page.getByRole('button', { name: '提交申请' }).click()
    const confirm = page.getByRole('checkbox', { name: /我已核对/ })
    await confirm.waitFor()
    await page.getByText('请核对特征码与产品中显示的一致，并勾选确认。').waitFor()
    expect(await page.getByTestId('application-id').count()).toBe(0)
    expect(await page.locator('.code-confirm-code').textContent()).toBe(code)
    await shot(page, 'confirm-zh')
    await confirm.check()
    await page.getByRole('button', { name: '提交申请' }).click()
    await submitted(page)
    await page.context().close()
  })

  it('asks for the same confirmation for a code from a QR code without a check value (en)', async () => {
    const code = uniqueCode(48)
    const page = await open('en', `&fc=${encodeURIComponent(code)}`)
    expect(await page.getByLabel('Feature code', { exact: true }).isEditable()).toBe(false)
    const confirm = page.getByRole('checkbox', { name: 'I checked that the code above matches the one shown by HyperMotion' })
    await confirm.waitFor()
    await fillApplicant(page, 'en')
    await shot(page, 'confirm-en')
    await confirm.check()
    await page.getByRole('button', { name: 'Submit application' }).click()
    await submitted(page)
    await page.context().close()
  })
})
