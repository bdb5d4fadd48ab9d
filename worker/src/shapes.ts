// The shapes the worker and its pages share (types and constants only, no worker globals), so
// the operator console's client is typed from the same definitions as the worker's queries.

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]

/** The vendor's identity as the applicant sees it. Public: GET /api/config hands it to the page. */
export type Vendor = Readonly<{
  name: string
  supportEmail: string
  supportPhone: string | null
  privacyUrl: string
  logoUrl: string | null
  /** A line for the foot of pages and mails, e.g. an ICP record number (ICP备案号). */
  footer: string | null
}>

export const STATUSES = [
  'submitted',
  'pending_approval',
  'approved',
  'issued',
  'delivered',
  'rejected',
  'withdrawn',
  'failed',
] as const
export type ApplicationStatus = (typeof STATUSES)[number]

export type Application = {
  id: string
  accessTokenHash: string
  product: string
  featureCode: string
  quantity: number
  validityDays: number
  name: string
  company: string
  email: string
  phone: string | null
  note: string | null
  locale: Locale
  /** The applicant's IANA time zone, sent by the page (migration 0017); null: by locale (time-zone.ts). */
  timeZone?: string | null
  /** The license this application renews (migration 0019); null: a new license. */
  renewsLicenseId?: string | null
  status: ApplicationStatus
  dingtalkInstanceId: string | null
  submitAttempts: number
  nextSubmitAt: number | null
  lastError: string | null
  pollAttempts: number
  nextPollAt: number | null
  /** When a create's answer was first lost (migration 0009); null otherwise. */
  submitOutcomeUnknownAt: number | null
  /** Until when a budget last held its submit back (migration 0012); null if never. */
  submitDeferredUntil: number | null
  createdAt: number
  updatedAt: number
}

/** An issued license with its terms, as the console's license list shows it (db/admin-licenses.ts). */
export type IssuedLicense = {
  licenseId: string
  applicationId: string
  product: string
  featureCode: string
  quantity: number
  validityDays: number
  /** Claims, seconds since the epoch. */
  nbf: number
  exp: number
  issuedAt: number
  kid: string
  company: string
  name: string
  email: string
}

/** One license of an application, as its console page shows it (never the license text). */
export type LicenseSummary = {
  id: string
  kid: string
  /** Claims, seconds since the epoch. */
  nbf: number
  exp: number
  issuedAt: number
  featureCode: string
  quantity: number
  /** Epoch ms, the operator's email and reason; all null while the license stands. */
  revokedAt: number | null
  revokedBy: string | null
  revocationReason: string | null
  /** The license this one replaces, and the one that replaced it (reissues). */
  supersedes: string | null
  supersededBy: string | null
}
