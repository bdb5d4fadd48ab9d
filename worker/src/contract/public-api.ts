// The public API as a route-only type, for the apply page's client: `hc<PublicApi>` (hono/client).
// No worker globals, so the page's tsconfig can read it; worker/src/public-api.ts checks at compile
// time that the worker's own routes take and answer these shapes (docs/api.md).
import type { Hono } from 'hono'
import type { ApplicationStatus, Locale, Vendor } from '../shapes.ts'
import type { ApplicationBody } from './application.ts'

/** Who the applicant deals with: the worker's own shape (shapes.ts). */
export type { Vendor }

export interface ProductConfig {
  product: { id: string; name: string }
  validityDays: number[]
  quantity: { min: number; max: number }
  featureCodePattern: string
  locales: Locale[]
  /** Who the applicant deals with (optional for an older worker). */
  vendor?: Vendor
  /** Cloudflare Turnstile on the form, or null when the portal runs without it. */
  turnstile?: { siteKey: string; scriptUrl: string; action: string } | null
}

/**
 * 201 submitted for approval, 202 saved and being submitted (`deferred: true`: kept for later
 * review), 200 a retry under the same Idempotency-Key, or (`existing: true`, no link) the
 * applicant's pending application for this machine.
 */
export interface SubmitAnswer {
  id: string
  status: string
  statusUrl?: string
  deferred?: boolean
  existing?: boolean
}

export interface TimelineEntry {
  status: ApplicationStatus
  at: string
}

export interface LicenseSummary {
  id: string
  notBefore: string
  expiresAt: string
  fileName: string
  /** When an operator revoked it (ISO 8601), or null: a revoked license no longer works. */
  revokedAt: string | null
}

export interface ApplicationView {
  id: string
  status: ApplicationStatus
  /** Only for `failed`: whether an alert about it actually reached a person. */
  alerted?: boolean
  product: string | { id: string; name?: string }
  featureCode: string
  quantity: number
  validityDays: number
  name: string
  company: string
  email: string
  locale: Locale
  /** The zone the mails print times in (optional for an older worker). */
  timeZone?: string
  /** The refusing approver's comment, when the vendor shows it. */
  decisionComment?: string
  createdAt: string
  /** Saved and kept for later review (the worker's budgets); optional for an older worker. */
  deferred?: boolean
  timeline: TimelineEntry[]
  license: LicenseSummary | null
}

type Json<Input, Output, Status extends number = 200> = { input: Input; output: Output; outputFormat: 'json'; status: Status }

export type PublicSchema = {
  '/api/config': { $get: Json<{ query: { product?: string | undefined } }, ProductConfig> }
  '/api/applications': { $post: Json<{ json: ApplicationBody }, SubmitAnswer, 200 | 201 | 202> }
  '/api/applications/:id': { $get: Json<{ param: { id: string }; query: { t: string } }, ApplicationView> }
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type PublicApi = Hono<{}, PublicSchema, '/'>
