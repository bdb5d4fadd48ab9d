// Every call the console makes, typed after the read API (docs/api.md, "Admin API (read)"). A
// non-2xx answer becomes an ApiError with the server's code and status (401/403: the Access
// session is gone or does not admit this person); a failed fetch is NETWORK_ERROR.
import { ApiError } from '../api.ts'
import type { ApplicationStatus } from '../api.ts'
import type { Application, IssuedLicense } from '../../../src/shapes.ts'

export type { ApplicationStatus }

export const STATUSES: readonly ApplicationStatus[] = ['submitted', 'pending_approval', 'approved', 'issued', 'delivered', 'rejected', 'withdrawn', 'failed']

export type Staff = { email: string; role: 'operator' | 'viewer' }

/** Times are epoch milliseconds, except the license claims nbf/exp (seconds): the worker's own shape, less the token hash. */
export type ConsoleApplication = Omit<Application, 'accessTokenHash' | 'locale'> & { locale: string }

export type Page<T> = { items: T[]; nextCursor: string | null }

export interface ConsoleEvent {
  id: string
  type: string
  fromStatus: ApplicationStatus | null
  toStatus: ApplicationStatus | null
  source: string
  createdAt: number
  data: Record<string, unknown> | null
}

/** The revoke and reissue members come with the revoke API (being built): absent, the page offers neither. */
export type ConsoleLicense = {
  id: string
  kid: string
  nbf: number
  exp: number
  issuedAt: number
  featureCode?: string
  quantity?: number
  revokedAt?: number | null
  revokedBy?: string | null
  revocationReason?: string | null
  supersedes?: string | null
  supersededBy?: string | null
}

export interface ConsoleDelivery {
  id: string
  kind: string
  status: string
  attempts: number
  nextAttemptAt: number | null
  lastError: string | null
  resendEmailId: string | null
  /** A corrected address (an operator's resend), else null: the application's email. */
  toAddress?: string | null
  createdAt: number
  updatedAt: number
}

export interface ConsoleAlert {
  code: string
  subject: string
  state?: string
  fires: number
  occurrences: number
  details: Record<string, unknown>
  firstSeenAt: number
  lastSeenAt: number
  resolvedAt?: number | null
}

export interface ApplicationDetail {
  application: ConsoleApplication
  events: ConsoleEvent[]
  licenses: ConsoleLicense[]
  deliveries: ConsoleDelivery[]
  alerts: ConsoleAlert[]
}

export type Listed<T> = { count: number; items: T[] }
export type AttentionApplication = Pick<ConsoleApplication, 'id' | 'status' | 'product' | 'featureCode' | 'name' | 'company' | 'email' | 'lastError' | 'createdAt' | 'updatedAt'>
export type AttentionDelivery = Omit<ConsoleDelivery, 'resendEmailId' | 'createdAt'> & { applicationId: string; email: string; company: string }
export type RepeatGroup = { key: string; count: number; applicationIds: string[] }

export interface Attention {
  now: number
  cap: number
  thresholds: { submittedAfterMs: number; pendingApprovalAfterMs: number; repeatWindowMs: number }
  failed: Listed<AttentionApplication>
  submittedBacklog: Listed<AttentionApplication>
  pendingApproval: Listed<AttentionApplication>
  deliveries: Listed<AttentionDelivery>
  repeatFeatureCodes: Listed<RepeatGroup>
  repeatCompanies: Listed<RepeatGroup>
}

export interface Health {
  now: number
  proxies: { id: string; egressAddress: string | null; events: string; ready: boolean; lastSeenAt: number; lastReadyAt: number | null; startedAt: number }[]
  dingtalk: { month: string; calls: number; callsBudget: number; pollReserve: number; pushes: number; pushesBudget: number }
  submissions: { day: string; today: number; dailyCap: number; month: string; thisMonth: number; monthlyCap: number }
  outbox: { pendingDeliveries: number; pendingAlertNotices: number }
  alerts: ConsoleAlert[]
}

export type { IssuedLicense }

/** A product and its renewal-reminder switch (GET /api/admin/products). */
export type ProductSettings = {
  id: string
  name: string
  renewalReminders: { enabled: boolean; days: number[]; updatedAt: string | null; updatedBy: string | null }
}

export type ApplicationFilters = { q?: string; status?: string; product?: string; from?: string; to?: string }

export type ExpiringWithin = 30 | 60 | 90

/** `?a=1&b=2` from the set members of `params`; empty strings are left out. */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(name, String(value))
  const text = query.toString()
  return text ? `?${text}` : ''
}

async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', signal })
  } catch (err) {
    if (signal?.aborted) throw err
    throw new ApiError(0, 'NETWORK_ERROR', null)
  }
  const body: unknown = await response.json().catch(() => null)
  if (!response.ok) throw errorOf(response.status, body)
  return body as T
}

/** An operator's action: JSON from the console's own page (the worker checks Origin, which the browser sets). */
async function post<T>(path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: T }> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', null)
  }
  const answer: unknown = await response.json().catch(() => null)
  if (!response.ok) throw errorOf(response.status, answer)
  return { status: response.status, body: answer as T }
}

function errorOf(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; fields?: Record<string, string> } } | null)?.error
  return new ApiError(status, typeof error?.code === 'string' ? error.code : `HTTP_${status}`, body, error?.fields)
}

/** Every action answers at least these; the rest (deliveryId, to, status, …) depends on the action. */
export type ActionAnswer = { duplicate: boolean; applicationId?: string; to?: string; licenseId?: string; deliveryId?: string; status?: string; supersedes?: string | null; revokedAt?: number }

export const consoleApi = {
  me: (signal?: AbortSignal) => get<Staff>('/api/admin/me', signal),
  applications: (filters: ApplicationFilters, cursor: string | null, signal?: AbortSignal) =>
    get<Page<ConsoleApplication>>(`/api/admin/applications${queryString({ ...filters, cursor })}`, signal),
  application: (id: string, signal?: AbortSignal) => get<ApplicationDetail>(`/api/admin/applications/${encodeURIComponent(id)}`, signal),
  attention: (signal?: AbortSignal) => get<Attention>('/api/admin/attention', signal),
  health: (signal?: AbortSignal) => get<Health>('/api/admin/health', signal),
  licenses: (within: ExpiringWithin, cursor: string | null, signal?: AbortSignal) =>
    get<Page<IssuedLicense>>(`/api/admin/licenses${queryString({ expiringWithin: within, cursor })}`, signal),
  /** POST `path` (console-actions.ts's actionPath) with an action's body. */
  act: (path: string, body: unknown) => post<ActionAnswer>(path, body),
  products: (signal?: AbortSignal) => get<{ products: ProductSettings[] }>('/api/admin/products', signal),
  setRenewalReminders: (product: string, enabled: boolean) =>
    post<unknown>(`/api/admin/products/${encodeURIComponent(product)}/renewal-reminders`, { enabled }, 'PUT'),
}

/** The CSV download of the licenses expiring within `within` days (an attachment). */
export const licensesCsvHref = (within: ExpiringWithin) => `/api/admin/licenses.csv${queryString({ expiringWithin: within })}`

/**
 * 401/403 from the console's API: the Access session ran out, or does not admit this person. An
 * action's own 403s (ROLE_OPERATOR_REQUIRED, CROSS_SITE_REFUSED) are refusals of that action, not this.
 */
export const isSignedOut = (err: unknown): err is ApiError =>
  err instanceof ApiError && (err.status === 401 || (err.status === 403 && err.code !== 'ROLE_OPERATOR_REQUIRED' && err.code !== 'CROSS_SITE_REFUSED'))
