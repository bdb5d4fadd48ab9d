// /api/applications/:id/license: the applicant's own license behind the status link's token —
// the file to download, and "send it again" to the address on file (applicant-resend.ts).
import { Hono, type Context } from 'hono'
import { requestApplicantResend } from '../applicant-resend.ts'
import { limitBody, parseJsonObject, requireJson } from '../body.ts'
import { getApplication, type Application } from '../db/applications.ts'
import { getLicenseByApplication, type LicenseRecord } from '../db/licenses.ts'
import type { AppEnv } from '../env.ts'
import { LicenseRevokedError, NotFoundError, RateLimitedError } from '../errors.ts'
import { licenseFileName } from '../issuance.ts'
import { errorFields } from '../log.ts'
import { createMailer } from '../mail/mailer.ts'
import { processOutbox } from '../outbox.ts'
import { verifyStatusToken } from '../status-token.ts'

/** Where the applicant may fetch the file: issued, and not withdrawn by an operator. */
const DOWNLOADABLE = new Set(['issued', 'delivered', 'failed'])
/** Where a resend makes sense: the first mail went out (delivered) or was given up (failed). */
const RESENDABLE = new Set(['delivered', 'failed'])

/** A name safe in a quoted Content-Disposition filename (RFC 6266): ASCII letters, digits, `._-`. */
export const safeFileName = (name: string): string => name.replace(/[^A-Za-z0-9._-]/g, '_')

const notFound = () => new NotFoundError('no such application, or the link is incomplete')

/** The application and its current license, only for the right token: else 404 like the status route. */
async function ownLicense(c: Context<AppEnv>, allowed: ReadonlySet<string>): Promise<{ app: Application; license: LicenseRecord }> {
  const id = c.req.param('id') ?? ''
  const app = await getApplication(c.env.DB, id)
  const valid = await verifyStatusToken(c.var.config.statusTokenKey, id, c.req.query('t') ?? '', app?.accessTokenHash ?? null)
  if (!valid || !app) throw notFound()
  const license = await getLicenseByApplication(c.env.DB, app.id)
  if (!license || !allowed.has(app.status)) throw notFound()
  // Revoked by an operator (and not reissued): the file no longer works, so it is not handed out.
  if (license.revokedAt !== null) throw new LicenseRevokedError()
  return { app, license }
}

export const applicationLicense = new Hono<AppEnv>()
  .get('/:id/license', async (c) => {
    const { app, license } = await ownLicense(c, DOWNLOADABLE)
    c.var.log.info('license downloaded', { applicationId: app.id, licenseId: license.id })
    return c.body(license.text, 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${safeFileName(licenseFileName(app.product, license.id))}"`,
      'Cache-Control': 'no-store',
    })
  })
  .post('/:id/license/resend', limitBody(), async (c) => {
    // No body, or a JSON object (ignored): the public API's rules for a body that is sent.
    const text = await c.req.text()
    if (text.trim() !== '') {
      requireJson(c)
      parseJsonObject(text)
    }
    const { config, log } = c.var
    const { app, license } = await ownLicense(c, RESENDABLE)
    const now = Date.now()
    const result = await requestApplicantResend({ db: c.env.DB, now, requestId: c.var.requestId }, app, license)
    if (result.kind === 'limited') {
      log.info('applicant resend refused: rate limited', { applicationId: app.id, retryAfterMs: result.retryAfterMs })
      throw new RateLimitedError(Math.ceil(result.retryAfterMs / 1000))
    }
    log.info('applicant resend queued', { applicationId: app.id, deliveryId: result.deliveryId })
    const mailer = createMailer({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl, from: config.mailFrom })
    c.executionCtx.waitUntil(
      processOutbox({ db: c.env.DB, config, mailer, log, now }, { applicationId: app.id }).catch((err) =>
        log.error('outbox after an applicant resend failed; cron will retry', errorFields(err)),
      ),
    )
    c.header('Cache-Control', 'no-store')
    return c.json({ queued: true }, 202)
  })
