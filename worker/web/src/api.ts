// Every HTTP call the page makes, typed. A non-2xx answer becomes an ApiError carrying the
// server's stable code ({ error: { code, message, fields? } }); a failed fetch is NETWORK_ERROR.
import { hc } from 'hono/client'
import { browserTimeZone } from './time-zone.ts'
import type { ApplicationBody } from '../../src/contract/application.ts'
import type { ApplicationView, ProductConfig, PublicApi, SubmitAnswer } from '../../src/contract/public-api.ts'

export type { ApplicationView, LicenseSummary, ProductConfig, TimelineEntry, Vendor } from '../../src/contract/public-api.ts'

/** The request body, as the worker's validator takes it (contract/application.ts). */
export type ApplicationInput = ApplicationBody

export type ApplicationStatus =
  | 'submitted'
  | 'pending_approval'
  | 'approved'
  | 'issued'
  | 'delivered'
  | 'rejected'
  | 'withdrawn'
  | 'failed'

/**
 * Why a saved application's approval starts later: `SUBMITTING` for a 202 (saved, being submitted:
 * DingTalk was slow or unreachable), `LATER` for a 202 `deferred` (saved, kept by the worker's
 * budgets: reviewed later), or the code of an older worker's 502/503 with the id.
 */
export type DeferredCode = 'SUBMITTING' | 'LATER' | 'DINGTALK_UNAVAILABLE' | 'DINGTALK_REJECTED'

export interface SubmitResult {
  id: string
  status: string
  statusUrl: string
  /** Set when the application is saved but its approval will start later. */
  deferred: DeferredCode | null
  /** True when nothing new was stored: the applicant's pending request for this machine answered. */
  existing: boolean
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fields?: Record<string, string>
  readonly body: unknown

  constructor(status: number, code: string, body: unknown, fields?: Record<string, string>) {
    super(`${status} ${code}`)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.body = body
    if (fields) this.fields = fields
  }
}

export interface RequestOptions {
  fetch?: typeof fetch
  signal?: AbortSignal
}

export interface SubmitOptions extends RequestOptions {
  /** Sent as `Idempotency-Key`: the same key and content again answer the first application. */
  idempotencyKey?: string
  /** The Turnstile widget's token, sent as `cf-turnstile-response`. */
  turnstileToken?: string | null
}

const DEFERRED_CODES: readonly string[] = ['DINGTALK_UNAVAILABLE', 'DINGTALK_REJECTED']

/** The worker's public routes, typed from its own handlers (hc<PublicApi>, same origin). */
const client = (options?: RequestOptions) => hc<PublicApi>('/', options?.fetch ? { fetch: options.fetch } : {})
const ACCEPT = { Accept: 'application/json' }

export function getConfig(product: string | null, options?: RequestOptions) {
  const query = product ? { product } : {}
  return request<ProductConfig>(() => client(options).api.config.$get({ query }, { headers: ACCEPT, init: { signal: options?.signal } }), options)
}

export async function submitApplication(
  input: ApplicationInput,
  options?: SubmitOptions,
): Promise<SubmitResult> {
  const key = options?.idempotencyKey
  const headers = {
    ...ACCEPT,
    ...(key === undefined ? {} : { 'Idempotency-Key': key }),
    ...(options?.turnstileToken ? { 'CF-Turnstile-Response': options.turnstileToken } : {}),
  }
  try {
    // 201 when DingTalk has it, 202 when saved and still being submitted (a success: follow
    // statusUrl; `deferred: true` when kept for later review), 200 when a retry under the same key
    // found the first application, or (`existing: true`) the applicant's pending one for this machine.
    const { status, body: created } = await exchange<SubmitAnswer>(
      () => client(options).api.applications.$post({ json: { ...input, timeZone: input.timeZone ?? browserTimeZone() } }, { headers, init: { signal: options?.signal } }),
      options,
    )
    const deferred = status === 202 ? (created.deferred === true ? 'LATER' : 'SUBMITTING') : null
    return {
      id: created.id,
      status: created.status,
      // An `existing` answer carries no status link (docs/api.md).
      statusUrl: created.statusUrl ?? '',
      deferred,
      existing: status === 200 && created.existing === true,
    }
  } catch (error) {
    const saved = error instanceof ApiError ? savedDespite(error) : null
    if (saved) return saved
    throw error
  }
}

/** What a renewal link prefills the form with (GET /api/renewals/:licenseId, docs/renewal.md). */
export interface RenewalPrefill {
  licenseId: string
  product: { id: string; name: string }
  featureCode: string
  quantity: number
  validityDays: number
  notBefore: string
  expiresAt: string
  /** When the new license starts: the old one's end, or now if that has passed. */
  startsAt: string
  name: string
  company: string
  email: string
  phone: string | null
  locale: string
}

export function getRenewal(licenseId: string, token: string, options?: RequestOptions) {
  const path = `/api/renewals/${encodeURIComponent(licenseId)}?t=${encodeURIComponent(token)}`
  const send = options?.fetch ?? fetch
  return request<RenewalPrefill>(() => send(path, { headers: ACCEPT, cache: 'no-store', signal: options?.signal }), options)
}

export function getApplication(id: string, token: string, options?: RequestOptions) {
  return request<ApplicationView>(
    () =>
      client(options).api.applications[':id'].$get(
        // hono/client puts the param in as given: escaped here.
        { param: { id: encodeURIComponent(id) }, query: { t: token } },
        { headers: ACCEPT, init: { cache: 'no-store', signal: options?.signal } },
      ),
    options,
  )
}

/** Where the status page downloads the license file (an attachment; the token authorises it). */
export function licenseDownloadPath(id: string, token: string): string {
  return `/api/applications/${encodeURIComponent(id)}/license?t=${encodeURIComponent(token)}`
}

/**
 * "Send it to my email again": 202 when queued; a 429 RATE_LIMITED becomes an ApiError whose
 * `retryAfterSeconds` says when to ask again.
 */
export async function resendLicense(id: string, token: string, options?: RequestOptions): Promise<void> {
  const path = `/api/applications/${encodeURIComponent(id)}/license/resend?t=${encodeURIComponent(token)}`
  const send = options?.fetch ?? fetch
  await request<{ queued: boolean }>(
    () => send(path, { method: 'POST', headers: { ...ACCEPT, 'Content-Type': 'application/json' }, body: '{}', signal: options?.signal }),
    options,
  )
}

/** Seconds until a rate-limited request may be sent again (the body's `retryAfterSeconds`), or null. */
export function retryAfterOf(error: ApiError): number | null {
  const body = error.body
  const seconds = isRecord(body) ? body.retryAfterSeconds : null
  return typeof seconds === 'number' && seconds > 0 ? seconds : null
}

/** A 502/503 that still carries the saved application's id and status link. */
function savedDespite(error: ApiError): SubmitResult | null {
  if (!DEFERRED_CODES.includes(error.code) || !isRecord(error.body)) return null
  const { id, status, statusUrl } = error.body
  if (typeof id !== 'string' || typeof statusUrl !== 'string') return null
  return {
    id,
    status: typeof status === 'string' ? status : 'submitted',
    statusUrl,
    deferred: error.code as DeferredCode,
    existing: false,
  }
}

async function request<T>(send: () => Promise<Response>, options?: RequestOptions): Promise<T> {
  return (await exchange<T>(send, options)).body
}

async function exchange<T>(send: () => Promise<Response>, options?: RequestOptions): Promise<{ status: number; body: T }> {
  let response: Response
  try {
    response = await send()
  } catch (cause) {
    if (options?.signal?.aborted) throw cause
    throw new ApiError(0, 'NETWORK_ERROR', null)
  }
  const body: unknown = await response.json().catch(() => null)
  if (response.ok) {
    if (body === null) throw new ApiError(response.status, 'BAD_RESPONSE', null)
    return { status: response.status, body: body as T }
  }
  throw toApiError(response.status, body)
}

export function toApiError(status: number, body: unknown): ApiError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : null
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${status}`
  const fields = isRecord(error?.fields) ? stringFields(error.fields) : undefined
  return new ApiError(status, code, body, fields)
}

function stringFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, code] of Object.entries(fields)) {
    if (typeof code === 'string') out[name] = code
  }
  return out
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** What the pickup page learns from a typed user code (POST /api/pickups/lookup, docs/pickup.md). */
export interface PickupLookup {
  user_code: string
  product: string
  /** The apply link the product's QR code holds. */
  verification_uri_complete: string
  expires_in: number
}

export function lookupPickup(userCode: string, options?: RequestOptions) {
  const send = options?.fetch ?? fetch
  return request<PickupLookup>(
    () =>
      send('/api/pickups/lookup', {
        method: 'POST',
        headers: { ...ACCEPT, 'Content-Type': 'application/json' },
        body: JSON.stringify({ user_code: userCode }),
        cache: 'no-store',
        signal: options?.signal,
      }),
    options,
  )
}
