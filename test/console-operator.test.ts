// An operator at work in the console, in Chromium through the sandbox's Cloudflare Access: finds an
// application by its feature code, reads its trail, and resends its license to a corrected address
// through the dialog (once, even when the answer is lost and the operator tries again); withdraws a
// failed one while a second, stale page is refused; a viewer sees no buttons. Screenshots (desktop
// and phone, zh-CN and en) land in test/artifacts/console-action-*.png for a person to look at.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContextOptions, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, ARTIFACTS, decideInSandbox, emailsTo, eventually, json, sleep, startTestStack, statusOfApplication, submitApplication } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const OPERATOR = 'ops@licensedesk.local'
const VIEWER = 'viewer@licensedesk.local'

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
} satisfies Record<string, BrowserContextOptions>
type Size = keyof typeof SIZES
type State = BrowserContextOptions['storageState']

let stack: Stack
let browser: Browser
type Seeded = { id: string; featureCode: string; email: string; statusUrl: string }
const seeded: Record<'desktop' | 'phone' | 'shots' | 'failed' | 'failedShots', Seeded> = {} as never
const states: Partial<Record<'operator' | 'viewer', State>> = {}

async function seed(status: 'delivered' | 'failed'): Promise<Seeded> {
  const input = applicationInput({ locale: 'en' })
  if (status === 'failed') {
    // The license mail is refused for good: the application ends `failed` with its license issued.
    const { body } = await json<{ data: { mailRejectTo?: string[] } }>(`${stack.urls.sandbox}/_sandbox/faults`)
    const mailRejectTo = [...(body.data.mailRejectTo ?? []), input.email]
    await json(`${stack.urls.sandbox}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mailRejectTo }) })
  }
  const submitted = await submitApplication(stack, input)
  expect(submitted.status).toBe(201)
  await decideInSandbox(stack, submitted.body.id, 'approve')
  await eventually(async () => (await statusOfApplication(stack, submitted.body.statusUrl)).body.status === status, `${submitted.body.id} ${status}`)
  return { id: submitted.body.id, featureCode: input.featureCode, email: input.email, statusUrl: submitted.body.statusUrl }
}

/** A signed-in browser state: the operator by the one-click button, anyone else by typed email. */
async function signIn(email: string): Promise<State> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
  const page = await context.newPage()
  await page.goto(stack.urls.admin)
  if (email === OPERATOR) await page.getByRole('button', { name: `Sign in as ${OPERATOR}` }).click()
  else {
    await page.getByLabel('Email').fill(email)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  }
  await page.getByTestId('staff-email').waitFor()
  const state = await context.storageState()
  await context.close()
  return state
}

async function open(size: Size, locale: 'en' | 'zh-CN', state: State): Promise<{ page: Page; violations: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ ...SIZES[size], locale, storageState: state })
  const page = await context.newPage()
  const violations: string[] = []
  page.on('console', (message) => message.text().includes('Content Security Policy') && violations.push(message.text()))
  return { page, violations, close: () => context.close() }
}

/** The whole page; with a dialog open only the screen, which is what the backdrop covers. */
const shot = async (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `console-action-${name}.png`), fullPage: (await page.locator('dialog[open]').count()) === 0 })

/** Nothing wider than the screen, and an open dialog entirely on it. */
async function expectFits(page: Page, size: Size) {
  const width = SIZES[size].viewport.width
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width)
  const dialog = page.locator('dialog[open]')
  if (await dialog.count()) {
    const box = (await dialog.boundingBox())!
    expect(box.x).toBeGreaterThanOrEqual(0)
    expect(box.y).toBeGreaterThanOrEqual(0)
    expect(box.x + box.width).toBeLessThanOrEqual(width)
    expect(box.y + box.height).toBeLessThanOrEqual(SIZES[size].viewport.height)
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`)
  ;[stack, browser] = await Promise.all([startTestStack('console-operator'), chromium.launch({ executablePath: CHROMIUM, args: FLAGS })])
  ;[seeded.desktop, seeded.phone, seeded.shots] = await Promise.all([seed('delivered'), seed('delivered'), seed('delivered')])
  // One at a time: each adds its address to the sandbox's reject list.
  seeded.failed = await seed('failed')
  seeded.failedShots = await seed('failed')
  ;[states.operator, states.viewer] = await Promise.all([signIn(OPERATOR), signIn(VIEWER)])
})

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

/** The list's search by feature code, then the application's page. */
async function findAndOpen(page: Page, app: Seeded, texts: { search: string }) {
  await page.goto(stack.urls.admin)
  await page.getByLabel(texts.search, { exact: true }).fill(app.featureCode.toLowerCase().replaceAll('-', ' '))
  await page.getByRole('button', { name: texts.search, exact: true }).click()
  const list = page.getByRole('table')
  await eventually(async () => (await list.locator('tbody tr').count()) === 1, 'one result row')
  await list.getByRole('link', { name: app.id }).click()
  await page.getByRole('heading', { name: app.id, level: 1 }).waitFor()
}

async function buttonTexts(region: Locator): Promise<string[]> {
  return (await region.getByRole('button').allTextContents()).map((text) => text.trim())
}

/** Submitted first, delivered last (a mail throttled on the way adds an attempt_failed between). */
function expectDeliveredTrail(types: string[]) {
  expect(types[0]).toBe('application.submitted')
  expect(types).toContain('license.issued')
  expect(types.at(-1)).toBe('delivery.sent')
}

async function trailTypes(page: Page): Promise<string[]> {
  return page.locator('.trail .trail-type').allTextContents()
}

describe('an operator resends a license to a corrected address', () => {
  it('on a desktop in English: search, trail, the dialog (Esc, a missing reason), then one mail to the corrected address', async () => {
    const app = seeded.desktop
    const { page, violations, close } = await open('desktop', 'en', states.operator)
    await findAndOpen(page, app, { search: 'Search' })
    expectDeliveredTrail(await trailTypes(page))
    const actions = page.getByRole('region', { name: 'Actions' })
    expect(await buttonTexts(actions)).toEqual(['Resend license', 'Reissue'])
    await shot(page, 'detail-desktop-en')

    // The dialog takes the focus, is labelled, and Esc closes it (focus back on the button).
    await actions.getByRole('button', { name: 'Resend license' }).click()
    const dialog = page.getByRole('dialog', { name: 'Resend the license' })
    await dialog.waitFor()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('action-reason')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Resend license')

    // A reason is required: said at the field, nothing sent.
    const posts: string[] = []
    page.on('request', (request) => request.method() === 'POST' && posts.push(request.postData() ?? ''))
    await actions.getByRole('button', { name: 'Resend license' }).click()
    await dialog.waitFor()
    const corrected = `fixed-desktop-${Date.now()}@example.com`
    await dialog.getByLabel('Corrected email (optional)').fill(corrected)
    await dialog.getByRole('button', { name: 'Send' }).click()
    await dialog.getByText('Please fill this in.').waitFor()
    expect(await dialog.getByLabel('Reason (required)').getAttribute('aria-invalid')).toBe('true')
    expect(posts).toEqual([])
    await expectFits(page, 'desktop')
    await shot(page, 'dialog-resend-error-desktop-en')

    await dialog.getByLabel('Reason (required)').fill('  The customer mistyped the address.  ')
    await shot(page, 'dialog-resend-filled-desktop-en')
    // A double click is one request: the button is disabled while it is out.
    await dialog.getByRole('button', { name: 'Send' }).dblclick()
    await dialog.waitFor({ state: 'detached' })
    const done = page.getByRole('status').filter({ hasText: 'queued' })
    expect(await done.textContent()).toBe(`The license is queued for ${corrected}.`)
    expect(posts).toHaveLength(1)
    expect(JSON.parse(posts[0])).toEqual({ reason: 'The customer mistyped the address.', idempotencyKey: expect.stringMatching(/^[0-9a-f-]{32,36}$/), email: corrected })

    // The trail, reloaded: the correction and the resend, by the operator, with the reason.
    const trail = page.locator('.trail')
    const resend = trail.getByRole('listitem').filter({ hasText: 'License resent by an operator' })
    await resend.waitFor()
    expect(await resend.textContent()).toContain(`(${OPERATOR})`)
    expect(await resend.textContent()).toContain('The customer mistyped the address.')
    expect(await trail.getByRole('listitem').filter({ hasText: 'Address corrected by an operator' }).count()).toBe(1)
    await page.getByRole('region', { name: 'Deliveries' }).getByText(corrected).waitFor()

    // Exactly one mail, at the corrected address; the first address got nothing more.
    await eventually(async () => (await emailsTo(stack, corrected)).length > 0, 'the resent license')
    await sleep(1500)
    expect(await emailsTo(stack, corrected)).toHaveLength(1)
    expect(await emailsTo(stack, app.email)).toHaveLength(1)
    await shot(page, 'done-desktop-en')
    expect(violations).toEqual([])
    await close()
  })

  it('on a phone in Chinese: the answer is lost, the retry sends the same key and is told it was already done, one mail', async () => {
    const app = seeded.phone
    const { page, violations, close } = await open('phone', 'zh-CN', states.operator)
    await findAndOpen(page, app, { search: '搜索' })
    expectDeliveredTrail(await trailTypes(page))
    await expectFits(page, 'phone')
    await shot(page, 'detail-phone-zh-CN')

    // The first answer is lost on the way back (the worker did act); the retry is the same action.
    const keys: string[] = []
    let lose = true
    await page.route('**/api/admin/applications/*/resend', async (route) => {
      keys.push(JSON.parse(route.request().postData() ?? '{}').idempotencyKey)
      if (!lose) return route.continue()
      lose = false
      await route.fetch()
      await route.abort('connectionreset')
    })
    await page.getByRole('button', { name: '重新发送许可证' }).click()
    const dialog = page.getByRole('dialog', { name: '重新发送许可证' })
    await dialog.waitFor()
    const corrected = `fixed-phone-${Date.now()}@example.com`
    await dialog.getByLabel('更正后的邮箱（选填）').fill(corrected)
    await dialog.getByLabel('原因（必填）').fill('客户填错了邮箱')
    await expectFits(page, 'phone')
    await shot(page, 'dialog-resend-filled-phone-zh-CN')
    await dialog.getByRole('button', { name: '发送' }).click()
    await dialog.getByRole('alert').getByText('无法连接服务器').waitFor()
    // Kept open with what was typed.
    expect(await dialog.getByLabel('原因（必填）').inputValue()).toBe('客户填错了邮箱')
    await expectFits(page, 'phone')
    await shot(page, 'dialog-resend-network-error-phone-zh-CN')

    await dialog.getByRole('button', { name: '发送' }).click()
    await dialog.waitFor({ state: 'detached' })
    await page.getByRole('status').getByText('此操作之前已完成，未重复执行。').waitFor()
    expect(keys).toHaveLength(2)
    expect(keys[1]).toBe(keys[0])
    const resends = page.locator('.trail').getByRole('listitem').filter({ hasText: '操作员重新发送许可证' })
    await resends.first().waitFor()
    expect(await resends.count()).toBe(1)
    expect(await resends.textContent()).toContain(`(${OPERATOR})`)

    await eventually(async () => (await emailsTo(stack, corrected)).length > 0, 'the resent license')
    await sleep(1500)
    expect(await emailsTo(stack, corrected)).toHaveLength(1)
    await expectFits(page, 'phone')
    await shot(page, 'done-phone-zh-CN')
    expect(violations).toEqual([])
    await close()
  })
})

describe('a failed application', () => {
  it('is withdrawn through its dialog; a second, stale page is then refused with the worker\'s code in words', async () => {
    const app = seeded.failed
    const stale = await open('desktop', 'en', states.operator)
    const fresh = await open('desktop', 'en', states.operator)
    for (const { page } of [stale, fresh]) {
      await page.goto(`${stack.urls.access}/admin/applications/${app.id}`)
      await page.getByRole('heading', { name: app.id, level: 1 }).waitFor()
      const buttons = page.getByRole('region', { name: 'Actions' }).getByRole('button')
      await eventually(async () => (await buttons.count()) === 3, 'the three actions')
      expect(await buttonTexts(page.getByRole('region', { name: 'Actions' }))).toEqual(['Resend license', 'Reissue', 'Withdraw'])
    }

    await fresh.page.getByRole('button', { name: 'Withdraw' }).click()
    const withdraw = fresh.page.getByRole('dialog', { name: 'Withdraw the application' })
    await withdraw.getByLabel('Reason (required)').fill('Duplicate of another application')
    await withdraw.getByRole('button', { name: 'Withdraw' }).click()
    await withdraw.waitFor({ state: 'detached' })
    await fresh.page.getByRole('status').getByText('The application is withdrawn.').waitFor()
    await fresh.page.locator('.detail-head').getByText('Withdrawn').waitFor()
    expect(await fresh.page.getByRole('region', { name: 'Actions' }).getByRole('button').count()).toBe(0)
    await fresh.page.getByText('No action is possible in this state.').waitFor()
    const event = fresh.page.locator('.trail').getByRole('listitem').filter({ hasText: 'Withdrawn by an operator' })
    expect(await event.textContent()).toContain(`(${OPERATOR})`)

    // The stale page still offers Resend; the worker refuses it, and the dialog keeps the reason.
    await stale.page.getByRole('button', { name: 'Resend license' }).click()
    const resend = stale.page.getByRole('dialog', { name: 'Resend the license' })
    await resend.getByLabel('Reason (required)').fill('Mail bounced, try again')
    await resend.getByRole('button', { name: 'Send' }).click()
    const refusal = resend.getByRole('alert')
    await refusal.getByText('This application has no issued license to send again.').waitFor()
    expect(await refusal.textContent()).toContain('Its status is now Withdrawn')
    expect(await resend.getByLabel('Reason (required)').inputValue()).toBe('Mail bounced, try again')
    await shot(stale.page, 'dialog-resend-refused-desktop-en')
    await resend.getByRole('button', { name: 'Cancel' }).click()
    await resend.waitFor({ state: 'detached' })
    expect([...stale.violations, ...fresh.violations]).toEqual([])
    await stale.close()
    await fresh.close()
  })
})

describe('a viewer', () => {
  it('sees the application and its trail but no action buttons, and a note that actions need the operator role', async () => {
    for (const [size, locale, note] of [
      ['desktop', 'en', 'need the operator role'],
      ['phone', 'zh-CN', '需要操作员角色'],
    ] as const) {
      const { page, close } = await open(size, locale, states.viewer)
      await page.goto(`${stack.urls.access}/admin/applications/${seeded.failedShots.id}`)
      await page.getByRole('heading', { name: seeded.failedShots.id, level: 1 }).waitFor()
      const actions = page.getByTestId('actions')
      await actions.getByText(note).waitFor()
      expect(await actions.getByRole('button').count()).toBe(0)
      expect(await page.locator('.console-main').getByRole('button').count()).toBe(0)
      await shot(page, `viewer-${size}-${locale}`)
      await close()
    }
  })
})

describe('the action pages and dialogs in both languages on both sizes (screenshots)', () => {
  const texts = {
    en: { resend: 'Resend license', withdraw: 'Withdraw', send: 'Send', cancel: 'Cancel', required: 'Please fill this in.', reason: 'Reason (required)', queued: 'queued' },
    'zh-CN': { resend: '重新发送许可证', withdraw: '撤回申请', send: '发送', cancel: '取消', required: '请填写此项。', reason: '原因（必填）', queued: '已排队发送' },
  } as const

  it('shows the buttons, each dialog, a field error and a resend done, all on screen', async () => {
    await Promise.all(
      (['desktop', 'phone'] as const).flatMap((size) =>
        (['en', 'zh-CN'] as const).map(async (locale) => {
          const text = texts[locale]
          const { page, violations, close } = await open(size, locale, states.operator)
          await page.goto(`${stack.urls.access}/admin/applications/${seeded.failedShots.id}`)
          await page.getByRole('heading', { name: seeded.failedShots.id, level: 1 }).waitFor()
          const actions = page.getByTestId('actions')
          await actions.getByRole('button', { name: text.withdraw }).waitFor()
          await expectFits(page, size)
          await shot(page, `failed-${size}-${locale}`)
          for (const action of ['resend', 'withdraw'] as const) {
            await actions.getByRole('button', { name: text[action] }).click()
            const dialog = page.locator('dialog[open]')
            await dialog.waitFor()
            await expectFits(page, size)
            await shot(page, `dialog-${action}-${size}-${locale}`)
            await dialog.getByRole('button', { name: action === 'resend' ? text.send : text.withdraw }).click()
            await dialog.getByText(text.required).waitFor()
            await expectFits(page, size)
            if (action === 'withdraw') await shot(page, `dialog-withdraw-error-${size}-${locale}`)
            await dialog.getByRole('button', { name: text.cancel }).click()
            await dialog.waitFor({ state: 'detached' })
          }

          // Done: a resend of a delivered application (each its own opening, so its own mail).
          await page.goto(`${stack.urls.access}/admin/applications/${seeded.shots.id}`)
          await page.getByTestId('actions').getByRole('button', { name: text.resend }).click()
          const dialog = page.locator('dialog[open]')
          await dialog.getByLabel(text.reason).fill(`Screenshot ${size} ${locale}`)
          await dialog.getByRole('button', { name: text.send }).click()
          await dialog.waitFor({ state: 'detached' })
          await page.getByRole('status').getByText(text.queued).waitFor()
          await expectFits(page, size)
          await shot(page, `resent-${size}-${locale}`)
          expect(violations).toEqual([])
          await close()
        }),
      ),
    )
  })
})

// Revoke and Reissue: one license revoked from its row; another application's reissued with a corrected quantity.
describe('an operator revokes and reissues a license', () => {
  it('revokes the license from its row: the row shows revoked, by whom, when and why; the trail shows operator.revoke', async () => {
    const app = seeded.shots
    const { page, close } = await open('desktop', 'en', states.operator)
    await page.goto(`${stack.urls.access}/admin/applications/${app.id}`)
    const licenses = page.getByRole('region', { name: 'Licenses' })
    const licenseId = (await licenses.getByText(/^LIC-/).first().textContent())!.trim()
    // The dialog in Chinese on a phone first (opened and cancelled: nothing sent).
    const zh = await open('phone', 'zh-CN', states.operator)
    await zh.page.goto(`${stack.urls.access}/admin/applications/${app.id}`)
    await zh.page.getByRole('button', { name: `吊销许可证 ${licenseId}` }).click()
    await zh.page.getByRole('dialog', { name: '吊销许可证' }).waitFor()
    await expectFits(zh.page, 'phone')
    await shot(zh.page, 'dialog-revoke-phone-zh-CN')
    await zh.close()
    await licenses.getByRole('button', { name: `Revoke license ${licenseId}` }).click()
    const dialog = page.getByRole('dialog', { name: 'Revoke the license' })
    await shot(page, 'dialog-revoke-desktop-en')
    await dialog.getByLabel('Reason (required)').fill('Issued to the wrong customer')
    await dialog.getByRole('button', { name: 'Revoke license' }).click()
    await dialog.waitFor({ state: 'detached' })
    await page.getByRole('status').getByText(`License ${licenseId} is revoked.`).waitFor()
    await licenses.getByText('Revoked', { exact: true }).waitFor()
    expect(await licenses.textContent()).toContain(`Revoked by ${OPERATOR}`)
    expect(await licenses.textContent()).toContain('Reason: Issued to the wrong customer')
    expect(await licenses.getByRole('button', { name: /^Revoke license/ }).count()).toBe(0)
    const event = page.locator('.trail').getByRole('listitem').filter({ hasText: 'License revoked by an operator' })
    expect(await event.textContent()).toContain(`(${OPERATOR})`)
    await shot(page, 'revoked-desktop-en')
    await close()

    // The applicant's status page says the license was revoked (not why), in both languages and sizes.
    const path = new URL(app.statusUrl).pathname + new URL(app.statusUrl).search
    for (const [locale, text] of [['en-US', 'was revoked on'], ['zh-CN', '吊销，不再有效']] as const) {
      for (const size of ['phone', 'desktop'] as const) {
        const context = await browser.newContext({ ...SIZES[size], locale })
        const status = await context.newPage()
        await status.goto(new URL(path, stack.urls.worker).toString())
        const notice = status.getByTestId('license-revoked')
        await notice.waitFor()
        expect(await notice.textContent()).toContain(text)
        expect(await notice.textContent()).not.toContain('wrong customer')
        expect(await status.getByTestId('application-status').textContent()).toContain(locale === 'en-US' ? 'has been revoked' : '已被吊销')
        await status.screenshot({ path: join(ARTIFACTS, `status-revoked-${locale === 'en-US' ? 'en' : 'zh'}-${size}.png`), fullPage: true })
        await context.close()
      }
    }
  })

  it('reissues with a corrected quantity: the new license supersedes the old one, and an unchanged one is refused', async () => {
    const app = seeded.desktop
    const { page, close } = await open('phone', 'en', states.operator)
    await page.goto(`${stack.urls.access}/admin/applications/${app.id}`)
    await page.getByRole('button', { name: 'Reissue' }).click()
    const dialog = page.getByRole('dialog', { name: 'Reissue the license' })
    await dialog.getByLabel('Reason (required)').fill('Customer bought more seats')
    await dialog.getByRole('button', { name: 'Reissue' }).click()
    await dialog.getByRole('alert').getByText('change at least one').waitFor()
    await dialog.getByLabel('Quantity').fill('30')
    await shot(page, 'dialog-reissue-phone-en')
    await dialog.getByRole('button', { name: 'Reissue' }).click()
    await dialog.waitFor({ state: 'detached' })
    await page.getByRole('status').getByText(/^New license LIC-/).waitFor()
    await page.getByRole('region', { name: 'Licenses' }).getByText(/^Replaces LIC-/).waitFor()
    await page.getByRole('region', { name: 'Licenses' }).getByText(/^Replaced by LIC-/).waitFor()
    await shot(page, 'reissued-phone-en')
    await close()

    // The new license's mail names the one it replaces; as the sandbox inbox shows it.
    const mails = await eventually(async () => {
      const found = (await emailsTo(stack, app.email)).filter((mail) => mail.text?.includes('replaces license'))
      return found.length > 0 && found
    }, 'the reissued license mail')
    expect(mails).toHaveLength(1)
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const inbox = await context.newPage()
    await inbox.goto(stack.urls.inbox)
    await inbox.getByText(mails[0].subject).first().click()
    await inbox.waitForTimeout(300)
    await inbox.screenshot({ path: join(ARTIFACTS, 'mail-reissued-en.png'), fullPage: true })
    await context.close()
  })
})
