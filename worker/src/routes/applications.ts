// /api/applications: the applicant's side — submit a request, then follow it with the access token.
import { Hono } from 'hono'
import type { Application } from '../db/applications.ts'
import { getApplication, insertApplicationStatement } from '../db/applications.ts'
import { insertEventStatement, listEvents } from '../db/events.ts'
import { getLicenseByApplication } from '../db/licenses.ts'
import { createDingTalkClient } from '../dingtalk/client.ts'
import type { AppEnv } from '../env.ts'
import { DingTalkRejectedError, DingTalkUnavailableError, NotFoundError, RateLimitedError, ValidationError } from '../errors.ts'
import { limitBody, parseJsonObject, requireJson } from '../body.ts'
import { newAccessToken, newApplicationId, newEventId, sha256Hex, timingSafeEqual } from '../ids.ts'
import { licenseFileName } from '../issuance.ts'
import { submitToDingTalk } from '../submission.ts'
import { localeFromAcceptLanguage, validateApplication } from '../validation.ts'
import { LEASE_MS } from '../backoff.ts'

const iso = (ms: number): string => new Date(ms).toISOString()
const UNAVAILABLE_MESSAGE = 'the approval system cannot be reached right now; your request is saved and will be submitted automatically'
const REJECTED_MESSAGE = 'the approval system did not accept the request; it is saved and will be retried'
// Compared against when the id is unknown, so both paths cost the same.
const NO_HASH = '0'.repeat(64)

export const applications = new Hono<AppEnv>()
  .post('/', limitBody(), async (c) => {
    const { config, log } = c.var
    const limiter = c.env.SUBMIT_RATE_LIMITER
    if (limiter) {
      const { success } = await limiter.limit({ key: c.req.header('cf-connecting-ip') ?? 'unknown' })
      if (!success) throw new RateLimitedError()
    }
    requireJson(c)
    const body = parseJsonObject(await c.req.text())
    const checked = validateApplication(body, {
      products: config.products,
      defaultProduct: config.defaultProduct,
      validityDays: config.validityDays,
      quantity: config.quantity,
      featureCodePattern: config.featureCodePattern,
      defaultLocale: localeFromAcceptLanguage(c.req.header('accept-language')),
    })
    if (!checked.ok) throw new ValidationError(checked.fields)

    const now = Date.now()
    const token = newAccessToken()
    const app: Application = {
      ...checked.value,
      id: newApplicationId(),
      accessTokenHash: await sha256Hex(token),
      status: 'submitted',
      dingtalkInstanceId: null,
      submitAttempts: 0,
      // Leased to this request; if it dies mid-way, cron takes over once the lease ends.
      nextSubmitAt: now + LEASE_MS,
      lastError: null,
      pollAttempts: 0,
      nextPollAt: null,
      createdAt: now,
      updatedAt: now,
    }
    await c.env.DB.batch([
      insertApplicationStatement(c.env.DB, app),
      insertEventStatement(c.env.DB, {
        id: newEventId(),
        applicationId: app.id,
        type: 'application.submitted',
        fromStatus: null,
        toStatus: 'submitted',
        source: 'api',
        dedupeKey: null,
        dingtalkEventId: null,
        data: { product: app.product },
        createdAt: now,
      }),
    ])
    log.info('application stored', { applicationId: app.id, product: app.product })

    const statusUrl = `${config.publicOrigin}/status/${app.id}?t=${token}`
    const dingtalk = createDingTalkClient({ egressUrl: config.egressUrl, signingKey: config.workerSigningKey, requestId: c.var.requestId })
    const outcome = await submitToDingTalk({ db: c.env.DB, config, dingtalk, log, now, source: 'api' }, app)
    if (outcome.status !== 'pending_approval') {
      // The application is kept either way: tell the client where to follow it. The upstream
      // detail is in the log; the applicant gets a plain sentence.
      const error =
        outcome.error instanceof DingTalkRejectedError
          ? new DingTalkRejectedError(outcome.error.upstreamStatus, outcome.error.upstreamCode, REJECTED_MESSAGE)
          : new DingTalkUnavailableError(UNAVAILABLE_MESSAGE)
      error.extra = { id: app.id, status: outcome.status, statusUrl }
      throw error
    }
    return c.json({ id: app.id, status: outcome.status, statusUrl }, 201)
  })
  .get('/:id', async (c) => {
    const token = c.req.query('t') ?? ''
    const app = await getApplication(c.env.DB, c.req.param('id'))
    const hash = await sha256Hex(token)
    if (!timingSafeEqual(hash, app?.accessTokenHash ?? NO_HASH) || !app || token === '') {
      throw new NotFoundError('no such application, or the link is incomplete')
    }
    const [events, license] = await Promise.all([listEvents(c.env.DB, app.id), getLicenseByApplication(c.env.DB, app.id)])
    c.header('Cache-Control', 'no-store')
    return c.json({
      id: app.id,
      status: app.status,
      product: app.product,
      featureCode: app.featureCode,
      quantity: app.quantity,
      validityDays: app.validityDays,
      name: app.name,
      company: app.company,
      email: app.email,
      locale: app.locale,
      createdAt: iso(app.createdAt),
      timeline: events.flatMap((e) => (e.toStatus ? [{ status: e.toStatus, at: iso(e.createdAt) }] : [])),
      license: license
        ? {
            id: license.id,
            notBefore: iso(license.nbf * 1000),
            expiresAt: iso(license.exp * 1000),
            fileName: licenseFileName(app.product, license.id),
          }
        : null,
    })
  })
