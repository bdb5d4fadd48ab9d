// /api/pickups (docs/pickup.md), modelled on RFC 8628: a product that can reach the internet asks
// for a pickup, shows its apply link as the QR code, and polls /token until the license of the
// application bound to it is issued. The device code is the product's secret: only its SHA-256 is
// stored, it is never logged (log.ts censors `device_code`) and never shown on any page.
import { Hono } from 'hono'
import type { Context } from 'hono'
import { dearmorLicense } from '../../../license/src/armor.ts'
import { compactFeatureCode, isValidFeatureCode } from '../../../license/src/feature-code.ts'
import { inspectLicense } from '../../../license/src/inspect.ts'
import { decodeUtf8, limitBody, parseJsonObject } from '../body.ts'
import { applyLink } from '../contract/apply-link.ts'
import { toHalfWidth } from '../contract/application.ts'
import { decisionCommentOf } from '../decision-comment.ts'
import { getApplication } from '../db/applications.ts'
import { listEvents } from '../db/events.ts'
import { getLicense, getLicenseByApplication } from '../db/licenses.ts'
import {
  consumePickup,
  displayUserCode,
  getPickupByDeviceHash,
  getPickupByUserCode,
  insertPickup,
  newDeviceCode,
  newUserCode,
  parseTypedUserCode,
  recordPoll,
  type Pickup,
} from '../db/pickups.ts'
import type { AppEnv } from '../env.ts'
import { PickupError, RateLimitedError, UnsupportedMediaTypeError, ValidationError } from '../errors.ts'
import { sha256Hex } from '../ids.ts'
import { licenseFileName } from '../issuance.ts'
import { checkRenewalTerms, resolveRenewal } from '../renewal/check.ts'
import { deriveRenewalToken, renewalUrlOf } from '../renewal/token.ts'
import { limitSubmitRate } from './application-body.ts'

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
/** RFC 8628 §3.5: each slow_down lengthens the interval by 5 s. */
export const SLOW_DOWN_STEP_MS = 5000
const DEVICE_CODE = /^[A-Za-z0-9_-]{16,128}$/

type TokenError = 'invalid_request' | 'unsupported_grant_type' | 'invalid_grant' | 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token'

const DESCRIPTIONS: Record<TokenError, string> = {
  invalid_request: 'device_code is missing or malformed',
  unsupported_grant_type: `grant_type must be ${DEVICE_CODE_GRANT}`,
  invalid_grant: 'unknown or already used device_code',
  authorization_pending: 'the license is not issued yet; poll again after the interval',
  slow_down: 'polled sooner than the interval; the interval grew by 5 s',
  access_denied: 'the application was refused or withdrawn',
  expired_token: 'the pickup expired; ask for a new one',
}

/** RFC 6749 §5.2's error answer: 400, not cached, the same shape whatever the cause. */
function tokenError(c: Context<AppEnv>, error: TokenError, description?: string | null): Response {
  c.header('Cache-Control', 'no-store')
  return c.json({ error, error_description: description ?? DESCRIPTIONS[error] }, 400)
}

/** The body as a flat string map: JSON or application/x-www-form-urlencoded, UTF-8. */
async function readForm(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? ''
  const text = decodeUtf8(await c.req.arrayBuffer())
  if (/^application\/json\s*(;|$)/i.test(type)) return parseJsonObject(text)
  if (/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) return Object.fromEntries(new URLSearchParams(text))
  throw new UnsupportedMediaTypeError()
}

const asText = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null)

/** Where a person types the user code (RFC 8628 §3.3's verification_uri): the pickup page. */
export const PICKUP_PAGE_PATH = '/pickup'

/**
 * The license a product showed to renew it (`license`, its .lic text): only one this portal issued,
 * byte for byte once dearmored, so a license id alone opens no renewal (its prefill names the
 * customer). Then the renewal's own checks: not revoked (410 LICENSE_REVOKED), no live renewal yet
 * (409 RENEWAL_EXISTS), the pickup's product and feature code (422 RENEWAL_MISMATCH).
 */
async function renewedBy(c: Context<AppEnv>, text: string, terms: { product: string; featureCode: string }): Promise<string> {
  let shown: string
  let licenseId: unknown
  try {
    shown = dearmorLicense(text)
    licenseId = inspectLicense(text).claims.sub
  } catch {
    throw new ValidationError({ license: 'INVALID_FORMAT' })
  }
  const stored = typeof licenseId === 'string' ? await getLicense(c.env.DB, licenseId) : null
  if (!stored || dearmorLicense(stored.text) !== shown) throw new ValidationError({ license: 'NOT_ALLOWED' })
  const { config } = c.var
  const renewable = await resolveRenewal(c.env.DB, config, { licenseId: stored.id, token: await deriveRenewalToken(config.statusTokenKey, stored.id) })
  checkRenewalTerms(renewable, terms)
  return stored.id
}

/** The pickup's link: the apply link, or the renewal link of the license it renews, with `p`. */
async function pickupLink(c: Context<AppEnv>, pickup: Pick<Pickup, 'product' | 'featureCode' | 'renewsLicenseId'>, shown: string): Promise<string> {
  const { config } = c.var
  if (pickup.renewsLicenseId === null) return applyLink({ origin: config.publicOrigin, product: pickup.product, featureCode: pickup.featureCode, pickup: shown })
  const url = new URL(await renewalUrlOf(config.publicOrigin, config.statusTokenKey, pickup.renewsLicenseId))
  url.searchParams.set('p', shown)
  return url.href
}

/** A guess that found nothing counts against the client's limit, for the token and the page alike. */
async function countMiss(c: Context<AppEnv>): Promise<void> {
  const limiter = c.env.SUBMIT_RATE_LIMITER
  if (limiter && !(await limiter.limit({ key: `pickup-miss:${c.req.header('cf-connecting-ip') ?? 'unknown'}` })).success) throw new RateLimitedError()
}

export const pickups = new Hono<AppEnv>()
  .post('/', limitBody(), limitSubmitRate(), async (c) => {
    const { config, log } = c.var
    const body = await readForm(c)
    const product = asText(body.product) ?? config.defaultProduct
    const raw = asText(body.feature_code ?? body.featureCode)
    const fields: Record<string, string> = {}
    if (!config.products.has(product)) fields.product = 'NOT_ALLOWED'
    const featureCode = raw === null ? '' : compactFeatureCode(toHalfWidth(raw))
    if (raw === null) fields.feature_code = 'REQUIRED'
    else if (!isValidFeatureCode(featureCode) || (config.featureCodePattern !== null && !config.featureCodePattern.test(featureCode))) {
      fields.feature_code = 'INVALID_FORMAT'
    }
    const license = body.license === undefined ? null : typeof body.license === 'string' && body.license.trim() !== '' ? body.license : ''
    if (license === '') fields.license = 'INVALID_FORMAT'
    if (Object.keys(fields).length > 0) throw new ValidationError(fields)
    const renewsLicenseId = license === null ? null : await renewedBy(c, license, { product, featureCode })

    const now = Date.now()
    const deviceCode = newDeviceCode()
    const deviceCodeHash = await sha256Hex(deviceCode)
    let userCode = ''
    // A user code already taken (1 in 20^8 per live pickup) is drawn again.
    for (let round = 0; round < 3 && userCode === ''; round++) {
      const candidate = newUserCode()
      const pickup: Pickup = {
        deviceCodeHash,
        userCode: candidate,
        product,
        // As the product reported it (compacted): the pickup page's link shows it as its screen does.
        featureCode,
        createdAt: now,
        expiresAt: now + config.pickupTtlMs,
        intervalMs: config.pickupIntervalMs,
        lastPollAt: null,
        applicationId: null,
        boundAt: null,
        consumedAt: null,
        renewsLicenseId,
      }
      try {
        await insertPickup(c.env.DB, pickup)
        userCode = candidate
      } catch (err) {
        if (round === 2) throw err
      }
    }
    log.info('pickup created', { product, userCode, renews: renewsLicenseId ?? undefined })
    const shown = displayUserCode(userCode)
    c.header('Cache-Control', 'no-store')
    return c.json({
      device_code: deviceCode,
      user_code: shown,
      verification_uri: new URL(PICKUP_PAGE_PATH, config.publicOrigin).href,
      verification_uri_complete: await pickupLink(c, { product, featureCode, renewsLicenseId }, shown),
      expires_in: Math.round(config.pickupTtlMs / 1000),
      interval: Math.round(config.pickupIntervalMs / 1000),
    })
  })
  .post('/token', limitBody(), async (c) => {
    const { config, log } = c.var
    const body = await readForm(c)
    const grantType = body.grant_type
    if (grantType !== undefined && grantType !== DEVICE_CODE_GRANT) return tokenError(c, 'unsupported_grant_type')
    const deviceCode = typeof body.device_code === 'string' ? body.device_code : ''
    if (!DEVICE_CODE.test(deviceCode)) return tokenError(c, 'invalid_request')
    // Hashed before the lookup, whatever the code: an unknown one costs the same as a known one.
    const hash = await sha256Hex(deviceCode)
    const pickup = await getPickupByDeviceHash(c.env.DB, hash)
    if (!pickup || pickup.consumedAt !== null) {
      // Guessing is no cheaper for being fast: misses count against the client's submit limit.
      await countMiss(c)
      return tokenError(c, 'invalid_grant')
    }
    const now = Date.now()
    if (now >= pickup.expiresAt) return tokenError(c, 'expired_token')
    const tooSoon = pickup.lastPollAt !== null && now - pickup.lastPollAt < pickup.intervalMs
    await recordPoll(c.env.DB, hash, now, tooSoon ? SLOW_DOWN_STEP_MS : 0)
    if (tooSoon) return tokenError(c, 'slow_down')
    if (pickup.applicationId === null) return tokenError(c, 'authorization_pending')

    const app = await getApplication(c.env.DB, pickup.applicationId)
    if (!app) throw new Error(`pickup bound to a missing application ${pickup.applicationId}`)
    if (app.status === 'rejected' || app.status === 'withdrawn' || app.status === 'failed') {
      // The refusing approver's remark only when SHOW_APPROVER_COMMENT allows it.
      const remark = app.status === 'rejected' ? decisionCommentOf(config, app, await listEvents(c.env.DB, app.id)) : null
      return tokenError(c, 'access_denied', remark)
    }
    if (app.status !== 'issued' && app.status !== 'delivered') return tokenError(c, 'authorization_pending')
    const license = await getLicenseByApplication(c.env.DB, app.id)
    if (!license) return tokenError(c, 'authorization_pending')
    if (license.revokedAt !== null) return tokenError(c, 'access_denied', 'the license was revoked')
    // Single-use: only the request that consumes the pickup receives the license.
    if (!(await consumePickup(c.env.DB, hash, now))) return tokenError(c, 'invalid_grant')
    log.info('pickup delivered the license', { applicationId: app.id, licenseId: license.id })
    c.header('Cache-Control', 'no-store')
    return c.json({
      license: license.text,
      license_id: license.id,
      file_name: licenseFileName(app.product, license.id),
      not_before: new Date(license.nbf * 1000).toISOString(),
      expires_at: new Date(license.exp * 1000).toISOString(),
    })
  })
  // The pickup page (PICKUP_PAGE_PATH): a person who cannot scan the QR code types the user code
  // the product shows; the answer is the apply link the QR code holds. The user code is no secret
  // and gets nobody a license, but guesses are limited: a miss counts as the token's misses do.
  .post('/lookup', limitBody(), async (c) => {
    const { config } = c.var
    const body = await readForm(c)
    const typed = typeof body.user_code === 'string' ? body.user_code : null
    if (typed === null || typed.trim() === '') throw new ValidationError({ user_code: 'REQUIRED' })
    const userCode = parseTypedUserCode(typed)
    if (userCode === null) throw new ValidationError({ user_code: 'INVALID_FORMAT' })
    const pickup = await getPickupByUserCode(c.env.DB, userCode)
    if (!pickup || !config.products.has(pickup.product)) {
      await countMiss(c)
      throw new PickupError('PICKUP_INVALID', true)
    }
    if (pickup.applicationId !== null || pickup.consumedAt !== null) throw new PickupError('PICKUP_USED', true)
    const now = Date.now()
    if (now >= pickup.expiresAt) throw new PickupError('PICKUP_EXPIRED', true)
    const shown = displayUserCode(userCode)
    c.header('Cache-Control', 'no-store')
    return c.json({
      user_code: shown,
      product: pickup.product,
      verification_uri_complete: await pickupLink(c, pickup, shown),
      expires_in: Math.max(0, Math.floor((pickup.expiresAt - now) / 1000)),
    })
  })
