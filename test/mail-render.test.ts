// The applicant's mails as a phone and a desktop client lay them out: the license and the
// rejection (with the approver's comment) in zh-CN and en, rendered by Chromium at 320 and 600 px,
// screenshots in test/artifacts/mail-*.png for a person to look at. Then the whole way: a refusal
// with a remark in the sandbox's approver console reaches the mail and the status page.
import { writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Vendor } from '../worker/src/shapes.ts'
import { renderLicenseMail, renderRejectionMail } from '../worker/src/mail/templates.ts'
import { renderRenewalReminderMail } from '../worker/src/mail/renewal-reminder.ts'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, ARTIFACTS, emailsTo, eventually, instanceFor, instanceIdOf, json, startTestStack, statusOfApplication, submitApplication } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const WIDTHS = [320, 600] as const
const LOCALES = ['zh-CN', 'en'] as const

const vendor: Vendor = {
  name: 'HyperMotion',
  supportEmail: 'support@hypermotion.cn',
  supportPhone: '+86 21 5555 0100',
  privacyUrl: 'https://www.hypermotion.cn/privacy',
  logoUrl: null,
  footer: '沪ICP备00000000号',
}
const NBF = Date.UTC(2027, 0, 15, 4, 11) / 1000
const common = {
  timeZone: 'Asia/Shanghai',
  vendor,
  productName: 'HyperMotion',
  applicationId: 'LD-7K3M9Q2X4P0B',
  statusUrl: 'https://licenses.hypermotion.cn/status/LD-7K3M9Q2X4P0B?t=Qm9vbGVhbl9zdGF0dXNfdG9rZW5fZXhhbXBsZV8xMjM0NQ',
}
const name = { 'zh-CN': '张三', en: 'Li Wei' } as const
const COMMENT = { 'zh-CN': '数量超出本季度合同范围，请与销售确认后重新申请。', en: 'The quantity exceeds this quarter’s contract. Please check with sales and apply again.' } as const

const mails = LOCALES.flatMap((locale) => [
  {
    file: `license-${locale}`,
    locale,
    html: renderLicenseMail({
      ...common,
      locale,
      name: name[locale],
      licenseId: 'LIC-4Q8ZB1N6W2CD',
      featureCode: `HM-9C41-7A2E-55D0-B3F8-1E6A-0D77-C2B9-4F18-8A3D-6E05-91BC-27F4-D6A1-3B8E`,
      quantity: 25,
      notBefore: NBF,
      expiresAt: NBF + 365 * 86_400,
      fileName: 'hypermotion-LIC-4Q8ZB1N6W2CD.lic',
    }).html,
  },
  { file: `rejection-${locale}`, locale, html: renderRejectionMail({ ...common, locale, name: name[locale], comment: COMMENT[locale] }).html },
  {
    file: `renewal-reminder-${locale}`,
    locale,
    html: renderRenewalReminderMail({
      ...common,
      locale,
      name: name[locale],
      licenseId: 'LIC-4Q8ZB1N6W2CD',
      featureCode: `HM-9C41-7A2E-55D0-B3F8-1E6A-0D77-C2B9-4F18-8A3D-6E05-91BC-27F4-D6A1-3B8E`,
      quantity: 25,
      expiresAt: NBF + 365 * 86_400,
      renewalUrl: 'https://licenses.hypermotion.cn/apply?renew=LIC-4Q8ZB1N6W2CD&t=Qm9vbGVhbl9yZW5ld2FsX3Rva2VuX2V4YW1wbGVfMTIzNDU',
    }).html,
  },
])

let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`)
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
})

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

/** Lays the mail out at `width` and checks what a phone needs: no sideways scrolling, labels on one line. */
async function render(page: Page, html: string, width: number, shot: string) {
  await page.setViewportSize({ width, height: 800 })
  await page.setContent(html, { waitUntil: 'load' })
  await page.screenshot({ path: join(ARTIFACTS, `mail-${shot}-${width}.png`), fullPage: true })
  const layout = await page.evaluate(() => {
    const lines = (text: string) => {
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.textContent?.trim() !== text) continue
        const range = document.createRange()
        range.selectNodeContents(node)
        // One rect per line box the text occupies.
        return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size
      }
      return null
    }
    return {
      scrollWidth: document.documentElement.scrollWidth,
      viewport: document.querySelector('meta[name="viewport"]')?.getAttribute('content') ?? null,
      labels: Object.fromEntries(['许可证编号', '申请编号', '特征码', 'License ID', 'Application number', 'Feature code'].map((label) => [label, lines(label)])),
    }
  })
  return layout
}

describe('the mails in Chromium', () => {
  for (const mail of mails) {
    for (const width of WIDTHS) {
      it(`lays out the ${mail.file} mail at ${width} px without sideways scrolling, labels on one line`, async () => {
        const context = await browser.newContext({ deviceScaleFactor: 2, locale: mail.locale, isMobile: width < 400 })
        const page = await context.newPage()
        const layout = await render(page, mail.html, width, mail.file)
        await context.close()
        expect(layout.viewport).toBe('width=device-width, initial-scale=1')
        expect(layout.scrollWidth).toBeLessThanOrEqual(width)
        for (const [label, count] of Object.entries(layout.labels)) if (count !== null) expect(count, label).toBe(1)
        if (mail.file === 'license-zh-CN') expect(layout.labels['许可证编号']).toBe(1)
        if (mail.file === 'license-en') expect(layout.labels['Application number']).toBe(1)
      })
    }
  }
})

let stack: Stack | undefined

describe('a refusal with a remark, the whole way (SHOW_APPROVER_COMMENT=true)', () => {
  it('quotes the approver’s remark in the rejection mail and on the status page, in the applicant’s time zone', async () => {
    stack = await startTestStack('mail-render', { env: { worker: { SHOW_APPROVER_COMMENT: 'true' } } })
    const input = applicationInput({ locale: 'zh-CN', timeZone: 'Asia/Shanghai' })
    const submitted = await submitApplication(stack, input)
    expect(submitted.status).toBe(201)
    const { id, statusUrl } = submitted.body
    const instance = await instanceFor(stack, id)
    const remark = '数量超出合同范围 <请核实> & 重新申请'
    const decided = await json(`${stack.urls.sandbox}/_sandbox/instances/${instanceIdOf(instance)}/reject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ remark }),
    })
    expect(decided.status).toBe(200)

    const [mail] = await eventually(async () => {
      const found = await emailsTo(stack!, input.email)
      return found.length > 0 && found
    }, 'the rejection mail')
    expect(mail.subject).toContain('未获批准')
    expect(mail.text).toContain(`审批意见：\n${remark}`)
    expect(mail.html).toContain('数量超出合同范围 &lt;请核实&gt; &amp; 重新申请')
    expect(mail.text).toContain('如有疑问，请联系 HyperMotion（邮箱 support@licensedesk.local')
    expect(mail.html).toContain('沪ICP备00000000号')

    const view = await statusOfApplication(stack, statusUrl)
    expect(view.body).toMatchObject({ status: 'rejected', decisionComment: remark, timeZone: 'Asia/Shanghai' })

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', deviceScaleFactor: 2, isMobile: true, hasTouch: true, timezoneId: 'America/New_York' })
    const page = await context.newPage()
    await page.goto(statusUrl.replace(/^https?:\/\/[^/]+/, stack.urls.worker))
    const comment = page.getByTestId('decision-comment')
    await comment.waitFor()
    expect(await comment.textContent()).toContain(remark)
    // The times are the application's zone, named, whatever the device's zone.
    expect(await page.getByText('中国标准时间').count()).toBeGreaterThan(0)
    await page.getByTestId('vendor-contact').getByText('support@licensedesk.local').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'mail-stack-status-rejected-zh-390.png'), fullPage: true })

    // The mail as the stack sent it, at 320 px.
    await writeFile(join(ARTIFACTS, 'mail-stack-rejection-zh-CN.html'), mail.html ?? '')
    // In a blank page: the status page's CSP would (rightly) block the mail's inline styles.
    const blank = await context.newPage()
    const layout = await render(blank, mail.html ?? '', 320, 'stack-rejection-zh-CN')
    expect(layout.scrollWidth).toBeLessThanOrEqual(320)
    await context.close()
  })
})
