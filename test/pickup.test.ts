// Pickup end to end (docs/pickup.md): a simulated product (sandbox/src/product-sim.ts) asks for a
// pickup and polls; the customer applies through the real page in Chromium from its link; the
// sandbox approves; the product receives the license within 2 s of issuance, and the email still
// goes out. A refusal reaches the product as access_denied. Screenshots under test/artifacts/.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyLicense } from '../license/src/index.ts'
import { startPickup } from '../sandbox/src/product-sim.ts'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, ARTIFACTS, decideInSandbox, emailsTo, eventually, json, startTestStack, statusOfApplication, submitApplication } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let stack: Stack
let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`)
  // A 1 s poll interval: the product should have its license within 2 s of issuance.
  stack = await startTestStack('pickup', { env: { worker: { PICKUP_INTERVAL_SECONDS: '1' } } })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
})

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

describe('a product that picks up its license', () => {
  it('receives the license the customer applied for on the phone, within 2 s of issuance, and the email still goes out', async () => {
    const featureCode = `HM-PICKUP-${Date.now().toString(36).toUpperCase()}`
    const product = await startPickup(stack.urls.worker, 'hypermotion', featureCode)
    const waiting = product.wait()
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true })
    const page = await context.newPage()
    const email = `pickup-${Date.now()}@example.com`
    await page.goto(product.grant.verification_uri_complete)
    await page.getByTestId('pickup-note').waitFor()
    await page.getByLabel('Name', { exact: true }).fill('Li Wei')
    await page.getByLabel('Company').fill('Example Cloud Ltd.')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Quantity').fill('3')
    await page.getByRole('checkbox', { name: 'Verify you are human' }).click()
    await page.getByText('Success').waitFor()
    await page.getByRole('button', { name: 'Submit application' }).click()
    await page.getByTestId('first-visit').waitFor({ timeout: 15_000 })
    const applicationId = (await page.getByTestId('application-id').textContent())!.trim()
    const statusUrl = page.url()
    await context.close()

    await decideInSandbox(stack, applicationId, 'approve')
    const outcome = await waiting
    if (!outcome.ok) throw new Error(`no license: ${outcome.error}`)
    const status = await statusOfApplication(stack, statusUrl)
    const issuedAt = Date.parse(status.body.timeline.find((entry: { status: string }) => entry.status === 'issued').at)
    const latency = outcome.receivedAt - issuedAt
    console.log(`pickup latency: ${latency} ms after issuance (interval 1 s, ${outcome.polls} polls)`)
    expect(latency).toBeLessThan(2000)

    const jwks = await json(`${stack.urls.worker}/.well-known/jwks.json`)
    const terms = await verifyLicense(outcome.license.license, { keys: jwks.body, product: 'hypermotion', featureCode, now: new Date() })
    expect(terms).toMatchObject({ fc: featureCode, qty: 3, app: applicationId })
    const [mail] = await eventually(async () => {
      const mails = await emailsTo(stack, email)
      return mails.length > 0 && mails
    }, 'the license email')
    expect(JSON.stringify(mail)).toContain(outcome.license.file_name)
  })

  it('hears access_denied when the application is refused', async () => {
    const input = applicationInput()
    const product = await startPickup(stack.urls.worker, 'hypermotion', input.featureCode)
    const waiting = product.wait()
    const created = await submitApplication(stack, { ...input, pickup: product.grant.user_code })
    expect(created.status).toBe(201)
    await decideInSandbox(stack, created.body.id, 'reject')
    const outcome = await waiting
    expect(outcome).toMatchObject({ ok: false, error: 'access_denied' })
  })

  it('shows the apply page with a pickup (zh-CN and en, phone and desktop)', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const product = await startPickup(stack.urls.worker, 'hypermotion', `HM-SHOT-${Date.now().toString(36).toUpperCase()}`)
      for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const) {
        const context = await browser.newContext({ viewport, locale, isMobile: size === 'phone' })
        const page = await context.newPage()
        await page.goto(product.grant.verification_uri_complete)
        await page.getByTestId('pickup-note').waitFor()
        await page.screenshot({ path: join(ARTIFACTS, `pickup-apply-${locale}-${size}.png`), fullPage: true })
        await context.close()
      }
    }
  })
})
