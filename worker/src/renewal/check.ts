// Checks a renewal link's claim (docs/renewal.md): the token opens the license, the license is not
// revoked and has no live renewal yet, and the application keeps its product and feature code.
// The same checks serve the page's prefill (GET /api/renewals/:licenseId) and the submission.
import { normalizeFeatureCode } from '../../../license/src/feature-code.ts'
import type { Config } from '../config.ts'
import type { RenewalClaim } from '../contract/application.ts'
import { getApplication, type Application } from '../db/applications.ts'
import { getLicense, type LicenseRecord } from '../db/licenses.ts'
import { findLiveRenewal } from '../db/renewals.ts'
import { LicenseRevokedError, RenewalError } from '../errors.ts'
import { verifyRenewalToken } from './token.ts'

export type Renewable = { license: LicenseRecord; app: Application }

/**
 * The license a claim renews and its application. A wrong token, or a license there is not, is
 * RENEWAL_INVALID (told apart by nobody: the token is checked first); then 410 LICENSE_REVOKED,
 * then 409 RENEWAL_EXISTS.
 */
export async function resolveRenewal(db: D1Database, config: Config, claim: RenewalClaim): Promise<Renewable> {
  if (!(await verifyRenewalToken(config.statusTokenKey, claim.licenseId, claim.token))) throw new RenewalError('RENEWAL_INVALID')
  const license = await getLicense(db, claim.licenseId)
  const app = license ? await getApplication(db, license.applicationId) : null
  if (!license || !app) throw new RenewalError('RENEWAL_INVALID')
  if (license.revokedAt !== null) throw new LicenseRevokedError()
  const existing = await findLiveRenewal(db, license.id)
  if (existing) throw new RenewalError('RENEWAL_EXISTS', existing.id)
  return { license, app }
}

/** RENEWAL_MISMATCH unless the application is for the renewed license's product and feature code. */
export function checkRenewalTerms(renewable: Renewable, input: { product: string; featureCode: string }): void {
  const sameCode = normalizeFeatureCode(input.featureCode) === normalizeFeatureCode(renewable.license.featureCode)
  if (input.product !== renewable.app.product || !sameCode) throw new RenewalError('RENEWAL_MISMATCH')
}

/** When the renewing license starts: the old one's end, or now if it has ended (seconds). */
export const renewalStart = (oldExp: number, nowSeconds: number): number => Math.max(nowSeconds, oldExp)

/** What the apply page is prefilled with: the license's terms and customer; the period is chosen anew. */
export function renewalPrefill(config: Config, { license, app }: Renewable, now: number) {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString()
  return {
    licenseId: license.id,
    product: { id: app.product, name: config.products.get(app.product)?.name ?? app.product },
    featureCode: license.featureCode,
    quantity: license.quantity,
    validityDays: app.validityDays,
    notBefore: iso(license.nbf),
    expiresAt: iso(license.exp),
    startsAt: iso(renewalStart(license.exp, Math.floor(now / 1000))),
    name: app.name,
    company: app.company,
    email: app.email,
    phone: app.phone,
    locale: app.locale,
  }
}

export type RenewalPrefill = ReturnType<typeof renewalPrefill>
