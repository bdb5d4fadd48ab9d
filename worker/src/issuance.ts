// Issues the license of an approved application exactly once: the approval's licenses row is unique
// per application, so a retry after a crash reuses the stored text instead of signing a second one.
// A reissue (actions/reissue.ts) signs its corrected license with licenseTerms too; a renewal's
// license starts when the renewed one ends.
import { issueLicense } from '../../license/src/index.ts'
import type { Config } from './config.ts'
import type { Application } from './db/applications.ts'
import { getLicense, getLicenseByApplication, insertLicenseStatement, type LicenseRecord } from './db/licenses.ts'
import { renewalStart } from './renewal/check.ts'
import { newLicenseId } from './ids.ts'
import { applyTransition } from './lifecycle.ts'
import type { EventSource } from './db/events.ts'

const DAY = 86_400

export type IssueDeps = { db: D1Database; config: Config; now: number; source: EventSource }

export const licenseFileName = (product: string, licenseId: string): string => `${product}-${licenseId}.lic`

/**
 * The application's license, issuing it first if there is none. Moves `approved` → `issued` in the
 * same batch as the INSERT; an application already `issued` (or later) keeps its license.
 */
export async function ensureLicense(deps: IssueDeps, app: Application): Promise<LicenseRecord> {
  const existing = await getLicenseByApplication(deps.db, app.id)
  if (existing) {
    if (app.status === 'approved') await markIssued(deps, app, existing, [])
    return existing
  }
  if (app.status !== 'approved') throw new Error(`application ${app.id} is ${app.status}, not approved, and has no license`)

  // A renewal starts when the license it renews ends (docs/renewal.md), or now if that has passed.
  const renewed = app.renewsLicenseId ? await getLicense(deps.db, app.renewsLicenseId) : null
  if (app.renewsLicenseId && !renewed) throw new Error(`license ${app.renewsLicenseId} renewed by ${app.id} not found`)
  const nbf = renewed ? renewalStart(renewed.exp, Math.floor(deps.now / 1000)) : Math.floor(deps.now / 1000)
  const record = await signLicense(deps.config, app, {
    id: newLicenseId(),
    nbf,
    exp: nbf + app.validityDays * DAY,
    featureCode: app.featureCode,
    quantity: app.quantity,
    supersedes: null,
    now: deps.now,
  })
  await markIssued(deps, app, record, [insertLicenseStatement(deps.db, record)])
  // Another sender may have won the race: the stored row is the one that counts.
  const stored = await getLicenseByApplication(deps.db, app.id)
  if (!stored) throw new Error(`license of ${app.id} was not stored`)
  return stored
}

export type LicenseDraft = Pick<LicenseRecord, 'id' | 'nbf' | 'exp' | 'featureCode' | 'quantity' | 'supersedes'> & { now: number }

/** Signs a license of the application with these terms (the customer is the application's). */
export async function signLicense(config: Config, app: Application, draft: LicenseDraft): Promise<LicenseRecord> {
  const terms = {
    iss: config.publicOrigin,
    sub: draft.id,
    aud: app.product,
    nbf: draft.nbf,
    exp: draft.exp,
    fc: draft.featureCode,
    qty: draft.quantity,
    app: app.id,
    cust: { name: app.name, company: app.company, email: app.email },
  }
  const text = await issueLicense(terms, config.licenseSigningKey, { now: draft.now })
  return {
    id: draft.id,
    applicationId: app.id,
    kid: config.licenseSigningKey.kid,
    text,
    nbf: draft.nbf,
    exp: draft.exp,
    issuedAt: draft.now,
    featureCode: draft.featureCode,
    quantity: draft.quantity,
    supersedes: draft.supersedes,
    revokedAt: null,
    revokedBy: null,
    revocationReason: null,
  }
}

async function markIssued(deps: IssueDeps, app: Application, license: LicenseRecord, before: D1PreparedStatement[]) {
  await applyTransition(
    deps.db,
    {
      applicationId: app.id,
      from: 'approved',
      to: 'issued',
      type: 'license.issued',
      source: deps.source,
      now: deps.now,
      data: { licenseId: license.id, kid: license.kid, nbf: license.nbf, exp: license.exp },
    },
    { before },
  )
}
