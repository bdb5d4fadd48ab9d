import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { Resend } from 'resend'
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest'
import { createInstance, startSandbox, type TestSandbox } from './test-support.ts'

// The console and inbox as a person uses them, in Chromium (platform.md: Debian's package).
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let browser: Browser
let sandbox: TestSandbox

describe.skipIf(!existsSync(CHROMIUM))('pages in a browser', () => {
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  })
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    await sandbox?.close()
  })

  it('approves an application from its card with the Approve button', async () => {
    sandbox = await startSandbox()
    await createInstance(sandbox, [{ name: '申请编号', value: 'APP-1' }])
    const id = await createInstance(sandbox, [{ name: '申请编号', value: 'APP-2' }, { name: '备注', value: '<img src=x onerror=alert(1)>' }])
    const page = await browser.newPage()
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(`${sandbox.url}/console`)
    const card = page.getByRole('article', { name: /APP-2/ })
    await expect(card.getAttribute('data-instance-id')).resolves.toBe(id)
    await card.getByText('<img src=x onerror=alert(1)>').waitFor()
    await card.getByRole('button', { name: 'Approve' }).click()
    await page.waitForURL(/\/console#instance-/)
    await page.getByRole('article', { name: /APP-2/ }).getByText('Approved').waitFor()
    expect(await page.getByRole('article', { name: /APP-2/ }).getByRole('button', { name: 'Approve' }).count()).toBe(0)
    expect(await page.getByRole('article', { name: /APP-1/ }).getByRole('button', { name: 'Reject' }).count()).toBe(1)
    expect(sandbox.state.instances.get(id)?.result).toBe('agree')
    expect(dialogs).toEqual([])
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: '/tmp/sandbox-console.png', fullPage: true })
  })

  it('renders an email body in a frame where its scripts do not run', async () => {
    sandbox = await startSandbox()
    const resend = new Resend('re_test_123', { baseUrl: sandbox.url })
    await resend.emails.send({
      from: 'Licenses <licenses@example.com>',
      to: 'alice@example.com',
      subject: 'Your license <script>alert(1)</script>',
      html: '<h1>Your license is ready</h1><script>alert("body")</script><img src=x onerror="alert(2)">',
      text: 'Your license is ready',
      attachments: [{ filename: 'license.lic', content: Buffer.from('LICENSE') }],
    })
    const page = await browser.newPage()
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(`${sandbox.url}/inbox`)
    await page.frameLocator('iframe').getByRole('heading', { name: 'Your license is ready' }).waitFor()
    await page.getByRole('heading', { name: 'Your license <script>alert(1)</script>' }).waitFor()
    await page.getByRole('link', { name: 'license.lic' }).waitFor()
    await page.waitForTimeout(200)
    expect(dialogs).toEqual([])
    await page.screenshot({ path: '/tmp/sandbox-inbox.png', fullPage: true })
  })
})
