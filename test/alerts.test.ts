// Alerts a person receives, end to end: real worker (cron firing), real proxy, the sandbox mailbox
// as the operations mailbox (ALERT_EMAIL = ops@licensedesk.local in wrangler.toml).
import { afterEach, describe, expect, it } from 'vitest'
import type { Stack } from '../sandbox/src/stack.ts'
import { emailsTo, eventually, json, sleep, startTestStack, type SandboxEmail } from './helpers.ts'

const OPS = 'ops@licensedesk.local'
const THRESHOLD_MS = 10_000
const CRON_MS = 5_000
const HEARTBEAT_MS = 2_000

let stack: Stack | undefined
afterEach(async () => {
  await stack?.stop()
  stack = undefined
})

const alertMails = async (s: Stack, code: string, state: 'ALERT' | 'RESOLVED'): Promise<SandboxEmail[]> =>
  (await emailsTo(s, OPS)).filter((mail) => mail.subject.startsWith(`[licensedesk] ${state} ${code}`))

const robotTitles = async (s: Stack): Promise<string[]> =>
  (await json<{ data: { title: string }[] }>(`${s.urls.sandbox}/_sandbox/robot/messages`)).body.data.map((message) => message.title)

describe('alerts reach the operations mailbox', () => {
  it('the proxy stopped: "no ready proxy" arrives within its threshold (plus a cron run), once, and "resolved" after the restart', { timeout: 120_000 }, async () => {
    const s = (stack = await startTestStack('alerts-proxy', {
      cronIntervalMs: CRON_MS,
      env: { worker: { ALERT_NO_PROXY_AFTER_MS: String(THRESHOLD_MS) }, proxy: { HEARTBEAT_MS: String(HEARTBEAT_MS) } },
    }))
    // Up and heartbeating: a few cron runs pass without an alert (or with one resolved at start-up,
    // if the first run beat the first heartbeat).
    await sleep(2 * CRON_MS)
    const before = (await alertMails(s, 'PROXY_NONE_READY', 'ALERT')).length
    expect(before).toBe((await alertMails(s, 'PROXY_NONE_READY', 'RESOLVED')).length)

    // From SIGTERM: the proxy stops being ready at once (it drains), then closes.
    const stoppedAt = Date.now()
    await s.stopPart('proxy')
    const [alert] = await eventually(
      async () => {
        const mails = await alertMails(s, 'PROXY_NONE_READY', 'ALERT')
        return mails.length > before && mails.slice(0, mails.length - before)
      },
      'the PROXY_NONE_READY alert in the operations mailbox',
      THRESHOLD_MS + HEARTBEAT_MS + 2 * CRON_MS + 10_000,
    )
    const alertedIn = Date.now() - stoppedAt
    // Not before the threshold; after it, at most a heartbeat interval (its readiness is cached 5 s)
    // and a cron run late.
    expect(alertedIn).toBeGreaterThanOrEqual(THRESHOLD_MS - 5_000 - HEARTBEAT_MS)
    expect(alertedIn).toBeLessThanOrEqual(THRESHOLD_MS + 5_000 + HEARTBEAT_MS + 2 * CRON_MS)
    expect(alert.text).toContain('Code: PROXY_NONE_READY')
    expect(alert.text).toContain('没有可用的出口代理')
    // The same alert in the DingTalk group (the sandbox's robot checks the 加签 signature).
    await eventually(async () => (await robotTitles(s)).includes('告警 PROXY_NONE_READY'), 'the alert in the DingTalk group', 2 * CRON_MS + 5_000)
    // Still down for several more runs: no second alert.
    await sleep(3 * CRON_MS)
    expect(await alertMails(s, 'PROXY_NONE_READY', 'ALERT')).toHaveLength(before + 1)

    await s.startPart('proxy')
    const restartedAt = Date.now()
    await eventually(
      async () => (await alertMails(s, 'PROXY_NONE_READY', 'RESOLVED')).length === before + 1,
      'the "resolved" notice',
      HEARTBEAT_MS + 2 * CRON_MS + 20_000,
    )
    const resolvedIn = Date.now() - restartedAt
    await sleep(2 * CRON_MS)
    expect(await alertMails(s, 'PROXY_NONE_READY', 'ALERT')).toHaveLength(before + 1)
    expect(await alertMails(s, 'PROXY_NONE_READY', 'RESOLVED')).toHaveLength(before + 1)
    await eventually(async () => (await robotTitles(s)).includes('已恢复 PROXY_NONE_READY'), 'the resolved notice in the DingTalk group', 2 * CRON_MS + 5_000)
    expect((await robotTitles(s)).filter((title) => title === '告警 PROXY_NONE_READY')).toHaveLength((await robotTitles(s)).filter((title) => title === '已恢复 PROXY_NONE_READY').length)
    console.log(`alerts: PROXY_NONE_READY mailed ${alertedIn} ms after the proxy stopped (threshold ${THRESHOLD_MS} ms), resolved ${resolvedIn} ms after its restart`)
  })
})
