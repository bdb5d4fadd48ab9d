// The scheduled handler (every minute): submit later, reconcile, renewal reminders, outbox, alerts, sweep (proofs, keys, pickups). Each step is
// idempotent and resumable, runs on its own (one failing step does not stop the others), and
// uses the controller's scheduledTime as "now".
import { loadConfig } from './config.ts'
import { evaluateAlertRules, proxyProbeFor } from './alerts/rules.ts'
import { sendAlertNotices } from './alerts/notify.ts'
import { drainBacklog } from './backlog.ts'
import { sweepPickups } from './db/pickups.ts'
import { sweepSeenProofs } from './db/seen-proofs.ts'
import { sweepIdempotencyKeys } from './db/submit-idempotency.ts'
import { dingtalkFor } from './dingtalk/egress.ts'
import type { Bindings } from './env.ts'
import { createLogger, errorFields, logLevelOf, type Logger } from './log.ts'
import { createMailer } from './mail/mailer.ts'
import { processOutbox } from './outbox.ts'
import { reconcile } from './reconcile.ts'
import { readFailedPushes } from './failed-pushes.ts'
import { queueRenewalReminders } from './renewal/remind.ts'

async function step(log: Logger, name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    const result = await run()
    log.debug('cron step done', { step: name, result })
  } catch (err) {
    log.error('cron step failed', { step: name, ...errorFields(err) })
  }
}

export async function runScheduled(controller: Pick<ScheduledController, 'scheduledTime' | 'cron'>, env: Bindings): Promise<void> {
  const requestId = `cron-${crypto.randomUUID()}`
  const log = createLogger({ requestId }, { level: logLevelOf(env.LOG_LEVEL) })
  let config
  try {
    config = await loadConfig(env)
  } catch (err) {
    log.error('config invalid; cron skipped', errorFields(err))
    return
  }
  const now = controller.scheduledTime
  const db = env.DB
  const dingtalk = dingtalkFor(env, config, requestId)
  const mailer = createMailer({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl, from: config.mailFrom })

  await step(log, 'submit', () => drainBacklog({ db, config, dingtalk, log, now, source: 'cron' }))
  await step(log, 'failed-pushes', () => readFailedPushes({ db, config, dingtalk, log, now }))
  await step(log, 'reconcile', () => reconcile({ db, config, dingtalk, log, now }))
  await step(log, 'renewal-reminders', () => queueRenewalReminders({ db, config, log, now }))
  await step(log, 'outbox', () => processOutbox({ db, config, mailer, log, now }))
  // After the steps that raise alerts, so this run's failures are told in this run.
  await step(log, 'alerts', async () => ({
    rules: await evaluateAlertRules({ db, config, log, now, probe: proxyProbeFor(env, config) }),
    notices: await sendAlertNotices({ db, config, mailer, log, now }),
  }))
  await step(log, 'sweep', async () => ({
    swept: await sweepSeenProofs(db, Math.floor(now / 1000)),
    idempotencyKeys: await sweepIdempotencyKeys(db, now),
    pickups: await sweepPickups(db, now),
  }))
}
