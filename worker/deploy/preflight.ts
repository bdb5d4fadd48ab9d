// The deploy preflight (docs/production.md): what must be true of a wrangler environment before it
// ships. Pure checks over the resolved config and the outputs of `wrangler secret list` and
// `wrangler d1 migrations list`; each problem names the setting and says what to do.
import type { Unstable_Config as WranglerConfig } from 'wrangler'

export type Problem = { setting: string; problem: string }

/** Secrets the worker refuses to start without (worker/src/env.ts, docs/configuration.md). */
export const REQUIRED_SECRETS = ['WORKER_PRIVATE_JWK', 'PROXY_PUBLIC_JWK', 'LICENSE_PRIVATE_JWK', 'RESEND_API_KEY', 'STATUS_TOKEN_SECRET', 'TURNSTILE_SECRET_KEY'] as const

const PLACEHOLDER_DATABASE_ID = /^0{8}-0{4}-[0-9]0{3}-[0-9]0{3}-0{12}$/

/** Values that only make sense on a developer's machine, or that the repository ships as stand-ins. */
const LOCAL_OR_PLACEHOLDER: readonly [RegExp, string][] = [
  [/\blocalhost\b|\b127\.\d+\.\d+\.\d+\b|\b0\.0\.0\.0\b|\[::1\]/i, 'points at this machine'],
  [/\bexample\.(com|org|net)\b/i, 'is the example domain'],
  [/PROC-LICENSEDESK-DEV|\blicensedesk-bot\b/, 'is the local sandbox value'],
  [/<[^>@]*>|\bREPLACE[_ -]?ME\b|\bCHANGE[_ -]?ME\b|\bTODO\b/i, 'is a placeholder'],
]

/** Vars whose local defaults are fine in production (bounds, labels, lists). */
const FREE_VARS = new Set(['PRODUCTS', 'DEFAULT_PRODUCT', 'VALIDITY_DAYS', 'QUANTITY_MIN', 'QUANTITY_MAX', 'FEATURE_CODE_PATTERN', 'DINGTALK_FORM_LABELS', 'DINGTALK_DEPT_ID', 'RELAY_TIMEOUT_MS', 'SUBMIT_ADOPT_AFTER_MS', 'SUBMIT_ANSWER_WITHIN_MS', 'SUBMIT_BATCH_MAX', 'DINGTALK_QPS', 'MAIL_RATE_PER_SECOND'])

function https(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:'
  } catch {
    return false
  }
}

/**
 * Checks an environment's resolved config. `topVars` are the top-level `[vars]`: wrangler does not
 * inherit vars into `[env.*]`, so a var missing there would silently be absent in production.
 */
export function checkConfig(config: WranglerConfig, topVars: Record<string, unknown>): Problem[] {
  const problems: Problem[] = []
  const add = (setting: string, problem: string) => problems.push({ setting, problem })
  const vars = (config.vars ?? {}) as Record<string, unknown>

  for (const name of Object.keys(topVars)) if (!(name in vars)) add(`vars.${name}`, 'is missing in this environment (vars are not inherited from the top level)')
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value !== 'string' || FREE_VARS.has(name)) continue
    for (const [pattern, why] of LOCAL_OR_PLACEHOLDER) if (pattern.test(value)) add(`vars.${name}`, `${why}: ${JSON.stringify(value.slice(0, 80))}`)
  }
  // The public form is the one door: a deployed portal never runs without Turnstile.
  if (typeof vars.TURNSTILE_SITE_KEY !== 'string' || vars.TURNSTILE_SITE_KEY.trim() === '') add('vars.TURNSTILE_SITE_KEY', 'is missing: the apply form would be open to bots')
  // The operator console (docs/console.md): Access's team domain, and someone to operate it.
  if (typeof vars.ACCESS_TEAM_DOMAIN === 'string' && !https(vars.ACCESS_TEAM_DOMAIN)) add('vars.ACCESS_TEAM_DOMAIN', 'must be https://<team name>.cloudflareaccess.com')
  const filled = (value: unknown) => typeof value === 'string' && value.trim() !== ''
  if (!filled(vars.ADMIN_OPERATORS) && !filled(vars.ADMIN_OPERATOR_GROUPS)) add('vars.ADMIN_OPERATORS', 'is empty, and so is ADMIN_OPERATOR_GROUPS: nobody could operate the console')
  const origin = vars.PUBLIC_ORIGIN
  if (typeof origin === 'string' && !https(origin)) add('vars.PUBLIC_ORIGIN', 'must be an https:// origin (it is the licenses\' iss and the links in every email)')
  if (typeof vars.RESEND_BASE_URL === 'string' && !https(vars.RESEND_BASE_URL)) add('vars.RESEND_BASE_URL', 'must be https://api.resend.com')
  const egressBinding = (config.vpc_services ?? []).find((service) => service.binding === 'EGRESS')
  if (egressBinding) {
    if (PLACEHOLDER_DATABASE_ID.test(egressBinding.service_id)) add('vpc_services.EGRESS', 'service_id is the placeholder: use the id `wrangler vpc service create` printed')
  } else if (typeof vars.EGRESS_URL === 'string') {
    for (const url of vars.EGRESS_URL.split(',').map((part) => part.trim())) {
      if (!https(url)) add('vars.EGRESS_URL', `${JSON.stringify(url)} must be https:// (or bind the proxies through Workers VPC as EGRESS)`)
    }
  }

  const db = config.d1_databases.find((database) => database.binding === 'DB')
  if (!db) add('d1_databases.DB', 'is missing (bindings are not inherited from the top level)')
  else if (!db.database_id || PLACEHOLDER_DATABASE_ID.test(db.database_id)) add('d1_databases.DB', 'database_id is the placeholder: use the id `wrangler d1 create` printed')
  if (!config.ratelimits?.some((limit) => limit.name === 'SUBMIT_RATE_LIMITER')) add('ratelimits.SUBMIT_RATE_LIMITER', 'is missing (not inherited from the top level)')
  if (!config.triggers?.crons?.length) add('triggers.crons', 'is empty: nothing would retry, reconcile or send mail')
  const routes = config.routes ?? (config.route ? [config.route] : [])
  if (routes.length === 0) add('routes', 'no route or custom domain: the portal would only be on workers.dev')
  for (const route of routes) {
    const pattern = typeof route === 'string' ? route : 'pattern' in route ? route.pattern : ''
    for (const [regex, why] of LOCAL_OR_PLACEHOLDER) if (regex.test(pattern)) add('routes', `${why}: ${JSON.stringify(pattern)}`)
  }
  if (!config.observability?.enabled) add('observability', 'must be enabled, or no log of production survives')
  return problems
}

/** `wrangler secret list --format json` output → the required secrets it lacks. */
export function missingSecrets(listed: string): Problem[] {
  let names: string[]
  try {
    names = (JSON.parse(listed) as { name: string }[]).map((secret) => secret.name)
  } catch {
    return [{ setting: 'secrets', problem: 'wrangler secret list did not answer JSON; is `wrangler login` done?' }]
  }
  return REQUIRED_SECRETS.filter((name) => !names.includes(name)).map((name) => ({
    setting: `secret ${name}`,
    problem: `is not set: npx wrangler secret put ${name} --env <env> < <file>`,
  }))
}

/** `wrangler d1 migrations list DB --remote` output → the migrations not yet applied. */
export function unappliedMigrations(output: string): Problem[] {
  if (/No migrations to apply/i.test(output)) return []
  const names = [...new Set(output.match(/\b\d{4}_[A-Za-z0-9_]+\.sql\b/g) ?? [])]
  if (names.length === 0) return [{ setting: 'd1 migrations', problem: 'could not tell which migrations are applied' }]
  return names.map((name) => ({ setting: 'd1 migrations', problem: `${name} is not applied: npx wrangler d1 migrations apply DB --remote --env <env>` }))
}
