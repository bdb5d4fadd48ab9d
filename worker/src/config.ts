// The worker's configuration: read from env once per isolate (per env object), checked, typed and
// frozen. A bad value fails with a ConfigError naming the variable, never echoing its value.
import type { JSONWebKeySet } from 'jose'
import { importPublicKeys, importSigningKey, type PublicKeySet, type SigningKey } from '../../proof/src/index.ts'
import { buildJwks, importLicenseSigningKey, type LicenseSigningKey } from '../../license/src/index.ts'
import { ConfigError } from './errors.ts'
import type { Bindings } from './env.ts'
import { parseFormLabels, type FormLabels } from './dingtalk/form.ts'
import { importStatusTokenKey } from './status-token.ts'
import { MAX_GROUP_LENGTH, parseGroupList, parseStaffList, type StaffPattern } from './staff.ts'

export { LOCALES, type Locale, type Vendor } from './shapes.ts'
import type { Locale, Vendor } from './shapes.ts'

export type Product = { id: string; name: string }


export type Config = Readonly<{
  publicOrigin: string
  /** EGRESS_URL, split on commas: the proxies, tried in rotating order. */
  egressUrls: readonly string[]
  relayTimeoutMs: number
  /** A create whose outcome is unknown is searched for (and only then re-created) after this long. */
  submitAdoptAfterMs: number
  submitBatchMax: number
  dingtalkQps: number
  mailRatePerSecond: number
  /** How long POST /api/applications waits for DingTalk before answering 202 (the submit goes on). */
  submitAnswerWithinMs: number
  /** Cloudflare Turnstile on the apply form; null when TURNSTILE_SITE_KEY is unset (off). */
  turnstile: Readonly<{ siteKey: string; secret: string; verifyUrl: string; scriptUrl: string }> | null
  resendBaseUrl: string
  resendApiKey: string
  mailFrom: string
  /** Resend's `reply_to` on applicant mails (MAIL_REPLY_TO); null sends none. */
  mailReplyTo: string | null
  /** Who the applicant deals with: on the form, the status page and every mail (docs/configuration.md, "Vendor"). */
  vendor: Vendor
  /** SHOW_APPROVER_COMMENT: the refusing approver's remark reaches the rejection mail and the status page. */
  showApproverComment: boolean
  /** Pickups (docs/pickup.md): how long an unbound one lasts, and its first poll interval. */
  pickupTtlMs: number
  pickupIntervalMs: number
  products: ReadonlyMap<string, Product>
  defaultProduct: string
  validityDays: readonly number[]
  /** RENEWAL_REMINDER_DAYS: days before exp that a renewal reminder goes out, largest first. */
  renewalReminderDays: readonly number[]
  quantity: Readonly<{ min: number; max: number }>
  featureCodePattern: RegExp
  /** Caps on new DingTalk submissions (creates) per UTC day and month (budgets.ts). */
  submitCaps: Readonly<{ daily: number; monthly: number }>
  /** POST /api/applications: at most this many pending applications per feature code and per email. */
  pendingLimits: Readonly<{ perFeatureCode: number; perEmail: number }>
  /** Where alerts go (docs/alerts.md): the operations mailbox, the DingTalk group robot, thresholds. */
  alerts: Readonly<{
    email: readonly string[]
    dingtalkRobot: Readonly<{ url: string; secret: string | null }> | null
    noProxyAfterMs: number
    backlogAfterMs: number
  }>
  dingtalk: Readonly<{
    processCode: string
    originatorUserId: string
    deptId: number
    formLabels: FormLabels
    monthlyBudget: number
    /** Of monthlyBudget, this many calls are kept for polling: submissions stop at budget − reserve. */
    pollReserve: number
    /** DingTalk pushes (HTTP or Stream) a month, for the push-quota alerts. */
    pushMonthlyBudget: number
    pollBatch: number
  }>
  workerSigningKey: SigningKey
  proxyPublicKeys: PublicKeySet
  licenseSigningKey: LicenseSigningKey
  /** The operator console behind Cloudflare Access (docs/console.md). */
  access: Readonly<{
    /** The team domain: the tokens' `iss`, e.g. https://hypermotion.cloudflareaccess.com. */
    teamDomain: string
    /** The Access application's AUD tag: must be in the tokens' `aud`. */
    aud: string
    /** The team's signing keys (JWKS). */
    certsUrl: string
    /** The only `Origin` the console's actions are accepted from. */
    consoleOrigin: string
    operators: readonly StaffPattern[]
    viewers: readonly StaffPattern[]
    /** Access group names or ids (ADMIN_OPERATOR_GROUPS / ADMIN_VIEWER_GROUPS); empty: roles by email only. */
    operatorGroups: readonly string[]
    viewerGroups: readonly string[]
    /** The team's get-identity endpoint, asked for a person's groups when group lists are set. */
    identityUrl: string
    /** The attention list shows `pending_approval` applications older than this (ms). */
    pendingAttentionMs: number
  }>
  /** HMAC-SHA256 key deriving the applicants' status tokens (status-token.ts). */
  statusTokenKey: CryptoKey
  /** The JWK Set served at /.well-known/jwks.json and its serialised form. */
  jwks: JSONWebKeySet
  jwksJson: string
}>

function required(env: Bindings, name: keyof Bindings): string {
  const value = env[name]
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(name, 'is missing')
  return value.trim()
}

function url(env: Bindings, name: keyof Bindings): string {
  const raw = required(env, name)
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, 'is not an absolute URL')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError(name, 'must be http(s)')
  return raw.replace(/\/+$/, '')
}

const TURNSTILE_VERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify'
const TURNSTILE_SCRIPT_URL = 'https://challenges.cloudflare.com/turnstile/v0/api.js'

function turnstileOf(env: Bindings): Config['turnstile'] {
  const siteKey = env.TURNSTILE_SITE_KEY?.trim()
  if (!siteKey) return null
  return Object.freeze({
    siteKey,
    secret: required(env, 'TURNSTILE_SECRET_KEY'),
    verifyUrl: env.TURNSTILE_VERIFY_URL?.trim() ? url(env, 'TURNSTILE_VERIFY_URL') : TURNSTILE_VERIFY_URL,
    scriptUrl: env.TURNSTILE_SCRIPT_URL?.trim() ? url(env, 'TURNSTILE_SCRIPT_URL') : TURNSTILE_SCRIPT_URL,
  })
}

function egressUrls(env: Bindings): string[] {
  const parts = required(env, 'EGRESS_URL').split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (parts.length === 0) throw new ConfigError('EGRESS_URL', 'is missing')
  return parts.map((part) => {
    let parsed: URL
    try {
      parsed = new URL(part)
    } catch {
      throw new ConfigError('EGRESS_URL', 'must be a comma-separated list of absolute URLs')
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError('EGRESS_URL', 'must be http(s)')
    return part.replace(/\/+$/, '')
  })
}

function integer(env: Bindings, name: keyof Bindings, min: number, max: number, fallback?: number): number {
  const raw = env[name]
  if ((raw === undefined || raw === '') && fallback !== undefined) return fallback
  const text = required(env, name)
  const value = Number(text)
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer within ${min}..${max}`)
  }
  return value
}

function json(env: Bindings, name: keyof Bindings, fallback?: string): unknown {
  const raw = env[name]
  const text = typeof raw === 'string' && raw.trim() !== '' ? raw : fallback
  if (text === undefined) throw new ConfigError(name, 'is missing')
  try {
    return JSON.parse(text)
  } catch {
    throw new ConfigError(name, 'is not valid JSON')
  }
}

export function products(env: Bindings): Map<string, Product> {
  const value = json(env, 'PRODUCTS')
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('PRODUCTS', 'must be a JSON object')
  const map = new Map<string, Product>()
  for (const [id, entry] of Object.entries(value)) {
    const name = (entry as { name?: unknown } | null)?.name
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(id) || typeof name !== 'string' || name.trim() === '') {
      throw new ConfigError('PRODUCTS', 'entries must be "<id>": { "name": "<display name>" } with a lower-case id')
    }
    map.set(id, Object.freeze({ id, name: name.trim() }))
  }
  if (map.size === 0) throw new ConfigError('PRODUCTS', 'holds no product')
  return map
}

export function validityDays(env: Bindings): number[] {
  const parts = required(env, 'VALIDITY_DAYS').split(',').map((part) => part.trim())
  const days = parts.map(Number)
  if (!parts.every((part) => /^\d+$/.test(part)) || days.some((d) => d < 1 || d > 3650)) {
    throw new ConfigError('VALIDITY_DAYS', 'must be a comma-separated list of days within 1..3650')
  }
  return [...new Set(days)].sort((a, b) => a - b)
}

/** RENEWAL_REMINDER_DAYS (default 30,7): distinct days within 1..365, largest first. */
export function renewalReminderDays(env: Bindings): number[] {
  const raw = env.RENEWAL_REMINDER_DAYS?.trim() || '30,7'
  const parts = raw.split(',').map((part) => part.trim())
  const days = parts.map(Number)
  if (!parts.every((part) => /^\d{1,3}$/.test(part)) || days.some((d) => d < 1 || d > 365)) {
    throw new ConfigError('RENEWAL_REMINDER_DAYS', 'must be a comma-separated list of days within 1..365')
  }
  return [...new Set(days)].sort((a, b) => b - a)
}

export function pattern(env: Bindings): RegExp {
  try {
    return new RegExp(required(env, 'FEATURE_CODE_PATTERN'))
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError('FEATURE_CODE_PATTERN', 'is not a valid regular expression')
  }
}

async function key<T>(name: keyof Bindings, load: (text: string) => Promise<T>, env: Bindings): Promise<T> {
  const text = required(env, name)
  try {
    return await load(text)
  } catch {
    throw new ConfigError(name, 'is not a usable Ed25519 JWK')
  }
}

// An address as Resend takes it: `name@domain.tld`, no spaces or angle brackets.
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/

/** MAIL_FROM is `address` or `Display Name <address>` (what Resend's `from` accepts). */
function mailFrom(env: Bindings): string {
  const value = required(env, 'MAIL_FROM')
  const named = /^([^<>]*)<([^<>]+)>$/.exec(value)
  const address = named ? named[2].trim() : value
  if (!ADDRESS.test(address) || (named && /["\r\n]/.test(named[1]))) {
    throw new ConfigError('MAIL_FROM', 'must be an email address or "Name <address>"')
  }
  return value
}

function optional(env: Bindings, name: keyof Bindings): string | null {
  const value = env[name]
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null
}

/** Text shown to applicants: one line, no control characters, at most `max` characters. */
function line(env: Bindings, name: keyof Bindings, max: number, value: string | null): string | null {
  if (value !== null && ([...value].length > max || /[\u0000-\u001f\u007f-\u009f]/.test(value))) {
    throw new ConfigError(name, `must be one line of at most ${max} characters`)
  }
  return value
}

export function vendorOf(env: Bindings): Vendor {
  const supportEmail = required(env, 'SUPPORT_EMAIL')
  if (!ADDRESS.test(supportEmail)) throw new ConfigError('SUPPORT_EMAIL', 'must be an email address')
  const supportPhone = line(env, 'SUPPORT_PHONE', 32, optional(env, 'SUPPORT_PHONE'))
  if (supportPhone !== null && !/^\+?[0-9 ()./-]{3,32}$/.test(supportPhone)) throw new ConfigError('SUPPORT_PHONE', 'must be a phone number')
  const privacyUrl = url(env, 'PRIVACY_URL')
  const logoUrl = optional(env, 'VENDOR_LOGO_URL')
  if (logoUrl !== null) {
    let parsed: URL | null = null
    try {
      parsed = new URL(logoUrl)
    } catch {
      parsed = null
    }
    if (parsed?.protocol !== 'https:') throw new ConfigError('VENDOR_LOGO_URL', 'must be an https URL')
  }
  return Object.freeze({
    name: line(env, 'VENDOR_NAME', 100, required(env, 'VENDOR_NAME')) as string,
    supportEmail,
    supportPhone,
    privacyUrl,
    logoUrl,
    footer: line(env, 'VENDOR_FOOTER', 200, optional(env, 'VENDOR_FOOTER')),
  })
}

function mailReplyTo(env: Bindings): string | null {
  const value = optional(env, 'MAIL_REPLY_TO')
  if (value !== null && !ADDRESS.test(value)) throw new ConfigError('MAIL_REPLY_TO', 'must be an email address')
  return value
}

function flag(env: Bindings, name: keyof Bindings, fallback: boolean): boolean {
  const value = optional(env, name)
  if (value === null) return fallback
  if (value !== 'true' && value !== 'false') throw new ConfigError(name, 'must be true or false')
  return value === 'true'
}

function alertsOf(env: Bindings): Config['alerts'] {
  const email = (env.ALERT_EMAIL ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (email.some((address) => !ADDRESS.test(address))) throw new ConfigError('ALERT_EMAIL', 'must be a comma-separated list of email addresses')
  const robotUrl = env.ALERT_DINGTALK_ROBOT_URL?.trim() ? url(env, 'ALERT_DINGTALK_ROBOT_URL') : null
  const robotSecret = env.ALERT_DINGTALK_ROBOT_SECRET?.trim() || null
  if (robotSecret && !robotUrl) throw new ConfigError('ALERT_DINGTALK_ROBOT_URL', 'is missing (ALERT_DINGTALK_ROBOT_SECRET is set)')
  return Object.freeze({
    email: Object.freeze(email),
    dingtalkRobot: robotUrl ? Object.freeze({ url: robotUrl, secret: robotSecret }) : null,
    noProxyAfterMs: integer(env, 'ALERT_NO_PROXY_AFTER_MS', 10_000, 3_600_000, 120_000),
    backlogAfterMs: integer(env, 'ALERT_BACKLOG_AFTER_MS', 10_000, 24 * 3_600_000, 300_000),
  })
}

function origin(env: Bindings, name: keyof Bindings): string {
  const value = url(env, name)
  if (new URL(value).origin !== value) throw new ConfigError(name, 'must be an origin (no path)')
  return value
}

function staffList(env: Bindings, name: 'ADMIN_OPERATORS' | 'ADMIN_VIEWERS'): StaffPattern[] {
  const list = parseStaffList(env[name])
  if (!list) throw new ConfigError(name, 'must be a comma-separated list of email addresses or *@domain patterns')
  return list
}

function groupList(env: Bindings, name: 'ADMIN_OPERATOR_GROUPS' | 'ADMIN_VIEWER_GROUPS'): string[] {
  const list = parseGroupList(env[name])
  if (!list) throw new ConfigError(name, `must be a comma-separated list of Access group names or ids (each at most ${MAX_GROUP_LENGTH} characters, no control characters, quotes or *)`)
  return list
}

function accessOf(env: Bindings, publicOrigin: string): Config['access'] {
  const teamDomain = origin(env, 'ACCESS_TEAM_DOMAIN')
  const aud = required(env, 'ACCESS_AUD')
  if (/\s|,/.test(aud)) throw new ConfigError('ACCESS_AUD', 'must be one AUD tag')
  return Object.freeze({
    teamDomain,
    aud,
    certsUrl: env.ACCESS_CERTS_URL?.trim() ? url(env, 'ACCESS_CERTS_URL') : `${teamDomain}/cdn-cgi/access/certs`,
    consoleOrigin: env.ADMIN_ORIGIN?.trim() ? origin(env, 'ADMIN_ORIGIN') : publicOrigin,
    operators: Object.freeze(staffList(env, 'ADMIN_OPERATORS')),
    viewers: Object.freeze(staffList(env, 'ADMIN_VIEWERS')),
    operatorGroups: Object.freeze(groupList(env, 'ADMIN_OPERATOR_GROUPS')),
    viewerGroups: Object.freeze(groupList(env, 'ADMIN_VIEWER_GROUPS')),
    identityUrl: env.ACCESS_IDENTITY_URL?.trim() ? url(env, 'ACCESS_IDENTITY_URL') : `${teamDomain}/cdn-cgi/access/get-identity`,
    pendingAttentionMs: integer(env, 'ADMIN_PENDING_DAYS', 1, 365, 3) * 86_400_000,
  })
}

// A status token is only as strong as this secret: at least 32 characters (about 190 bits when random).
const MIN_STATUS_TOKEN_SECRET = 32

function statusTokenSecret(env: Bindings): string {
  const value = required(env, 'STATUS_TOKEN_SECRET')
  if (value.length < MIN_STATUS_TOKEN_SECRET) {
    throw new ConfigError('STATUS_TOKEN_SECRET', `must be at least ${MIN_STATUS_TOKEN_SECRET} characters`)
  }
  return value
}

/** Parses and checks every variable and secret. Throws ConfigError on the first bad one. */
export async function parseConfig(env: Bindings): Promise<Config> {
  const productMap = products(env)
  const defaultProduct = required(env, 'DEFAULT_PRODUCT')
  if (!productMap.has(defaultProduct)) throw new ConfigError('DEFAULT_PRODUCT', 'is not one of PRODUCTS')
  const quantityMin = integer(env, 'QUANTITY_MIN', 1, 1_000_000_000)
  const quantityMax = integer(env, 'QUANTITY_MAX', quantityMin, 1_000_000_000)
  const formLabels = parseFormLabels(json(env, 'DINGTALK_FORM_LABELS', '{}'))
  if (!formLabels) throw new ConfigError('DINGTALK_FORM_LABELS', 'must map field names to non-empty labels')
  const publicOrigin = origin(env, 'PUBLIC_ORIGIN')

  const licenseSigningKey = await key('LICENSE_PRIVATE_JWK', importLicenseSigningKey, env)
  let jwks: JSONWebKeySet
  try {
    jwks = await buildJwks([required(env, 'LICENSE_PRIVATE_JWK'), (env.LICENSE_PUBLIC_JWKS ?? '').trim() || '{"keys":[]}'])
  } catch {
    throw new ConfigError('LICENSE_PUBLIC_JWKS', 'must be a JWK Set of Ed25519 public keys')
  }

  return Object.freeze({
    publicOrigin,
    egressUrls: egressUrls(env),
    relayTimeoutMs: integer(env, 'RELAY_TIMEOUT_MS', 1000, 120_000, 15_000),
    submitAdoptAfterMs: integer(env, 'SUBMIT_ADOPT_AFTER_MS', 0, 24 * 3_600_000, 60_000),
    submitBatchMax: integer(env, 'SUBMIT_BATCH_MAX', 0, 1000, 200),
    dingtalkQps: integer(env, 'DINGTALK_QPS', 1, 20, 15),
    mailRatePerSecond: integer(env, 'MAIL_RATE_PER_SECOND', 1, 100, 2),
    submitAnswerWithinMs: integer(env, 'SUBMIT_ANSWER_WITHIN_MS', 100, 30_000, 4000),
    turnstile: turnstileOf(env),
    resendBaseUrl: url(env, 'RESEND_BASE_URL'),
    resendApiKey: required(env, 'RESEND_API_KEY'),
    mailFrom: mailFrom(env),
    mailReplyTo: mailReplyTo(env),
    vendor: vendorOf(env),
    showApproverComment: flag(env, 'SHOW_APPROVER_COMMENT', false),
    pickupTtlMs: integer(env, 'PICKUP_TTL_SECONDS', 60, 86_400, 900) * 1000,
    pickupIntervalMs: integer(env, 'PICKUP_INTERVAL_SECONDS', 1, 60, 5) * 1000,
    alerts: alertsOf(env),
    products: productMap,
    defaultProduct,
    validityDays: Object.freeze(validityDays(env)),
    renewalReminderDays: Object.freeze(renewalReminderDays(env)),
    quantity: Object.freeze({ min: quantityMin, max: quantityMax }),
    featureCodePattern: pattern(env),
    submitCaps: Object.freeze({
      daily: integer(env, 'SUBMIT_DAILY_CAP', 0, 1_000_000, 200),
      monthly: integer(env, 'SUBMIT_MONTHLY_CAP', 0, 10_000_000, 2000),
    }),
    pendingLimits: Object.freeze({
      perFeatureCode: integer(env, 'PENDING_PER_FEATURE_CODE', 1, 1000, 1),
      perEmail: integer(env, 'PENDING_PER_EMAIL', 1, 1000, 3),
    }),
    dingtalk: Object.freeze({
      processCode: required(env, 'DINGTALK_PROCESS_CODE'),
      originatorUserId: required(env, 'DINGTALK_ORIGINATOR_USER_ID'),
      deptId: integer(env, 'DINGTALK_DEPT_ID', -1, Number.MAX_SAFE_INTEGER),
      formLabels,
      monthlyBudget: integer(env, 'DINGTALK_MONTHLY_BUDGET', 0, 1_000_000, 4500),
      pollReserve: integer(env, 'DINGTALK_POLL_RESERVE', 0, 1_000_000, 500),
      pushMonthlyBudget: integer(env, 'DINGTALK_PUSH_MONTHLY_BUDGET', 0, 10_000_000, 3000),
      pollBatch: integer(env, 'POLL_BATCH', 0, 100, 5),
    }),
    workerSigningKey: await key('WORKER_PRIVATE_JWK', (t) => importSigningKey(t, 'WORKER_PRIVATE_JWK'), env),
    proxyPublicKeys: await key('PROXY_PUBLIC_JWK', (t) => importPublicKeys(t, 'PROXY_PUBLIC_JWK'), env),
    licenseSigningKey,
    access: accessOf(env, publicOrigin),
    statusTokenKey: await importStatusTokenKey(statusTokenSecret(env)),
    jwks,
    jwksJson: JSON.stringify(jwks),
  })
}

// Keyed by the env object: workerd hands the same env to every request of an isolate, and a test
// that passes its own env gets its own config. Not a module-level client: nothing outlives env.
const cache = new WeakMap<object, Promise<Config>>()

export function loadConfig(env: Bindings): Promise<Config> {
  let pending = cache.get(env)
  if (!pending) {
    pending = parseConfig(env)
    cache.set(env, pending)
    pending.catch(() => cache.delete(env))
  }
  return pending
}
