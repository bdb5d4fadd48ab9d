// The worker's bindings (wrangler.toml vars, secrets, D1, rate limiter) and the Hono context type.
import type { Config } from './config.ts'
import type { Logger } from './log.ts'
import type { Staff } from './staff.ts'

export type Bindings = {
  DB: D1Database
  ASSETS?: Fetcher
  SUBMIT_RATE_LIMITER?: RateLimit
  PUBLIC_ORIGIN: string
  EGRESS_URL: string
  /** Workers VPC service binding to the proxies (production); when bound it carries every relay. */
  EGRESS?: Fetcher
  RELAY_TIMEOUT_MS?: string
  SUBMIT_ADOPT_AFTER_MS?: string
  SUBMIT_BATCH_MAX?: string
  DINGTALK_QPS?: string
  MAIL_RATE_PER_SECOND?: string
  SUBMIT_ANSWER_WITHIN_MS?: string
  RESEND_BASE_URL: string
  MAIL_FROM: string
  /** The vendor as applicants see it (docs/configuration.md, "Vendor"). */
  VENDOR_NAME: string
  SUPPORT_EMAIL: string
  SUPPORT_PHONE?: string
  MAIL_REPLY_TO?: string
  PRIVACY_URL: string
  VENDOR_LOGO_URL?: string
  VENDOR_FOOTER?: string
  SHOW_APPROVER_COMMENT?: string
  /** Pickups (docs/pickup.md): seconds to apply after asking, and the first poll interval. */
  PICKUP_TTL_SECONDS?: string
  PICKUP_INTERVAL_SECONDS?: string
  PRODUCTS: string
  DEFAULT_PRODUCT: string
  VALIDITY_DAYS: string
  /** Days before a license's exp that its renewal reminders go out (docs/renewal.md); default 30,7. */
  RENEWAL_REMINDER_DAYS?: string
  QUANTITY_MIN: string
  QUANTITY_MAX: string
  FEATURE_CODE_PATTERN: string
  DINGTALK_PROCESS_CODE: string
  DINGTALK_ORIGINATOR_USER_ID: string
  DINGTALK_DEPT_ID: string
  DINGTALK_FORM_LABELS?: string
  DINGTALK_MONTHLY_BUDGET?: string
  /** Of the monthly API budget, the calls kept for polling (submissions stop before them). */
  DINGTALK_POLL_RESERVE?: string
  /** Caps on new DingTalk submissions per UTC day and month (budgets.ts). */
  SUBMIT_DAILY_CAP?: string
  SUBMIT_MONTHLY_CAP?: string
  /** Pending applications allowed per feature code (and product) and per email. */
  PENDING_PER_FEATURE_CODE?: string
  PENDING_PER_EMAIL?: string
  POLL_BATCH?: string
  LICENSE_PUBLIC_JWKS?: string
  WORKER_PRIVATE_JWK: string
  PROXY_PUBLIC_JWK: string
  LICENSE_PRIVATE_JWK: string
  RESEND_API_KEY: string
  STATUS_TOKEN_SECRET: string
  /** Turnstile on the apply form: on when the site key is set (then the secret is required). */
  TURNSTILE_SITE_KEY?: string
  TURNSTILE_SECRET_KEY?: string
  TURNSTILE_VERIFY_URL?: string
  TURNSTILE_SCRIPT_URL?: string
  /** Alerts (docs/alerts.md): the operations mailbox(es), comma-separated; optional DingTalk group robot. */
  ALERT_EMAIL?: string
  ALERT_DINGTALK_ROBOT_URL?: string
  ALERT_DINGTALK_ROBOT_SECRET?: string
  ALERT_NO_PROXY_AFTER_MS?: string
  ALERT_BACKLOG_AFTER_MS?: string
  DINGTALK_PUSH_MONTHLY_BUDGET?: string
  /** The operator console behind Cloudflare Access (docs/console.md). */
  ACCESS_TEAM_DOMAIN: string
  ACCESS_AUD: string
  ACCESS_CERTS_URL?: string
  ADMIN_OPERATORS?: string
  ADMIN_VIEWERS?: string
  /** Access group names or ids whose members operate / view the console (docs/console.md, "Roles"). */
  ADMIN_OPERATOR_GROUPS?: string
  ADMIN_VIEWER_GROUPS?: string
  /** The team's identity endpoint; defaults to `${ACCESS_TEAM_DOMAIN}/cdn-cgi/access/get-identity`. */
  ACCESS_IDENTITY_URL?: string
  /** The console's origin when it is not PUBLIC_ORIGIN (locally: the sandbox's Access front door). */
  ADMIN_ORIGIN?: string
  /** The console's attention list: `pending_approval` longer than this many days. */
  ADMIN_PENDING_DAYS?: string
  /** debug | info (default) | warn | error */
  LOG_LEVEL?: string
}

export type AppVariables = {
  requestId: string
  log: Logger
  config: Config
}

export type AppEnv = { Bindings: Bindings; Variables: AppVariables }

/** Routes behind the Access guard (routes/admin/): the verified person is known. */
export type StaffEnv = { Bindings: Bindings; Variables: AppVariables & { staff: Staff } }
