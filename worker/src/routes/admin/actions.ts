// POST /api/admin/applications/:id/{resend,resubmit,withdraw,reissue} and
// /api/admin/licenses/:licenseId/revoke: the console's actions (docs/api.md,
// "Admin API"; docs/console.md, "Actions"). The guard of api.ts has made sure the caller is an
// operator sending JSON from the console; the work that follows (a mail, a submission) starts after
// the response, and cron completes it otherwise.
import { Hono, type Context } from 'hono'
import { reissueLicense } from '../../actions/reissue.ts'
import { resendLicense } from '../../actions/resend.ts'
import { revokeLicense } from '../../actions/revoke.ts'
import { resubmitApplication, submitNow } from '../../actions/resubmit.ts'
import { withdrawApplication } from '../../actions/withdraw.ts'
import { limitBody, readJsonObject } from '../../body.ts'
import { getApplication, type Application } from '../../db/applications.ts'
import type { StaffEnv } from '../../env.ts'
import { NotFoundError, ValidationError } from '../../errors.ts'
import { dingtalkFor } from '../../dingtalk/egress.ts'
import { errorFields } from '../../log.ts'
import { createMailer } from '../../mail/mailer.ts'
import { processOutbox } from '../../outbox.ts'
import { readActionInput, readReissueInput } from './action-input.ts'

/** Mails that an action queued go out now; cron sends them otherwise. */
function sendSoon(c: Context<StaffEnv>, applicationId: string, now: number, after: string) {
  const { config, log } = c.var
  const mailer = createMailer({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl, from: config.mailFrom })
  c.executionCtx.waitUntil(
    processOutbox({ db: c.env.DB, config, mailer, log, now }, { applicationId }).catch((err) =>
      log.error(`outbox after a ${after} failed; cron will retry`, errorFields(err)),
    ),
  )
}

async function target(c: Context<StaffEnv>): Promise<{ app: Application; body: Record<string, unknown> }> {
  const id = c.req.param('id') ?? ''
  if (!/^LD-[0-9A-Z]{1,32}$/.test(id)) throw new ValidationError({ id: 'INVALID_FORMAT' })
  const body = await readJsonObject(c)
  const app = await getApplication(c.env.DB, id)
  if (!app) throw new NotFoundError('no such application')
  return { app, body }
}

export const adminActions = new Hono<StaffEnv>()
  .post('/:id/resend', limitBody(), async (c) => {
    const { log, staff } = c.var
    const { app, body } = await target(c)
    const input = readActionInput(body, { allowEmail: true })
    const now = Date.now()
    const result = await resendLicense({ db: c.env.DB, now, operator: staff.email }, app, input)
    log.info('operator resend', { applicationId: app.id, operator: staff.email, deliveryId: result.deliveryId, duplicate: result.duplicate })
    sendSoon(c, app.id, now, 'resend')
    return c.json({ applicationId: app.id, ...result }, result.duplicate ? 200 : 202)
  })
  .post('/:id/resubmit', limitBody(), async (c) => {
    const { config, log, staff } = c.var
    const { app, body } = await target(c)
    const input = readActionInput(body)
    const now = Date.now()
    const result = await resubmitApplication({ db: c.env.DB, now, operator: staff.email }, app, input)
    log.info('operator resubmit', { applicationId: app.id, operator: staff.email, from: app.status, duplicate: result.duplicate })
    const dingtalk = dingtalkFor(c.env, config, c.var.requestId)
    c.executionCtx.waitUntil(
      submitNow({ db: c.env.DB, config, dingtalk, log, now }, app.id).catch((err) =>
        log.error('submit after a resubmit failed; cron will retry', errorFields(err)),
      ),
    )
    return c.json({ applicationId: app.id, ...result }, result.duplicate ? 200 : 202)
  })
  .post('/:id/withdraw', limitBody(), async (c) => {
    const { config, log, staff } = c.var
    const { app, body } = await target(c)
    const input = readActionInput(body)
    // Only one awaiting approval calls DingTalk (terminate, and a read when it says not running).
    const dingtalk = dingtalkFor(c.env, config, c.var.requestId)
    const deps = { db: c.env.DB, now: Date.now(), operator: staff.email, dingtalk, originatorUserId: config.dingtalk.originatorUserId }
    const result = await withdrawApplication(deps, app, input)
    log.info('operator withdraw', { applicationId: app.id, operator: staff.email, from: app.status, duplicate: result.duplicate, terminated: result.terminated ?? false })
    return c.json({ applicationId: app.id, ...result })
  })
  .post('/:id/reissue', limitBody(), async (c) => {
    const { config, log, staff } = c.var
    const { app, body } = await target(c)
    const input = readReissueInput(body, config)
    const now = Date.now()
    const result = await reissueLicense({ db: c.env.DB, now, operator: staff.email, config }, app, input)
    log.info('operator reissue', { applicationId: app.id, operator: staff.email, licenseId: result.licenseId, supersedes: result.supersedes, duplicate: result.duplicate })
    sendSoon(c, app.id, now, 'reissue')
    return c.json(result, result.duplicate ? 200 : 202)
  })

/** POST /api/admin/licenses/:licenseId/revoke (mounted under /licenses by api.ts). */
export const adminLicenseActions = new Hono<StaffEnv>().post('/:licenseId/revoke', limitBody(), async (c) => {
  const { log, staff } = c.var
  const licenseId = c.req.param('licenseId') ?? ''
  if (!/^LIC-[0-9A-Z]{1,32}$/.test(licenseId)) throw new ValidationError({ licenseId: 'INVALID_FORMAT' })
  const input = readActionInput(await readJsonObject(c))
  const result = await revokeLicense({ db: c.env.DB, now: Date.now(), operator: staff.email }, licenseId, input)
  log.info('operator revoke', { licenseId, applicationId: result.applicationId, operator: staff.email, duplicate: result.duplicate })
  return c.json(result)
})
