// The alert rules the cron run evaluates (docs/alerts.md): each condition is read from D1 (or
// asked of the proxies) and the alert raised or resolved to match, so a condition that clears
// sends its "resolved" notice by itself. Alerts about single events (an application failed, a
// mail given up, an event not recorded) are raised where they happen, not here.
import type { Config } from '../config.ts'
import { usageThisMonth } from '../db/api-usage.ts'
import { lastReadyAt } from '../db/proxies.ts'
import { probeProxies, showsKeyMismatch, type ProxyView } from '../dingtalk/readiness.ts'
import type { Logger } from '../log.ts'
import { setAlert, type AlertDeps } from './store.ts'

export type RuleDeps = {
  db: D1Database
  config: Config
  log: Logger
  now: number
  /** The proxies' signed readiness, for the key check (dingtalk/readiness.ts). */
  probe?: () => Promise<ProxyView[]>
}

export type RuleSummary = Record<string, boolean | 'unknown'>

/** Applications waiting for DingTalk longer than the threshold; those a submission cap holds are the cap's alert. */
async function backlog(db: D1Database, olderThan: number): Promise<{ count: number; oldestId: string | null; oldestAt: number | null; lastError: string | null }> {
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS count, MIN(created_at) AS oldest_at,
              (SELECT id FROM applications WHERE status = 'submitted' AND created_at <= ?1 AND (last_error IS NULL OR last_error NOT LIKE 'SUBMIT_CAP%') ORDER BY created_at LIMIT 1) AS oldest_id,
              (SELECT last_error FROM applications WHERE status = 'submitted' AND created_at <= ?1 AND (last_error IS NULL OR last_error NOT LIKE 'SUBMIT_CAP%') ORDER BY created_at LIMIT 1) AS last_error
       FROM applications WHERE status = 'submitted' AND created_at <= ?1 AND (last_error IS NULL OR last_error NOT LIKE 'SUBMIT_CAP%')`,
    )
    .bind(olderThan)
    .first<{ count: number; oldest_at: number | null; oldest_id: string | null; last_error: string | null }>()
  return { count: row?.count ?? 0, oldestId: row?.oldest_id ?? null, oldestAt: row?.oldest_at ?? null, lastError: row?.last_error ?? null }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export async function evaluateAlertRules(deps: RuleDeps): Promise<RuleSummary> {
  const { db, config, log, now } = deps
  const alerts: AlertDeps = { db, config, log }
  const summary: RuleSummary = {}

  // No ready proxy: none has said "ready" within the threshold (a drain's or a failing check's
  // heartbeat does not start the clock; the last ready one does).
  const windowMs = config.alerts.noProxyAfterMs
  const readySince = await lastReadyAt(db)
  const lastSeen = await db.prepare('SELECT id, ready, last_seen_at FROM proxies ORDER BY last_seen_at DESC LIMIT 5').all<{ id: string; ready: number; last_seen_at: number }>()
  summary.PROXY_NONE_READY = readySince === null || readySince < now - windowMs
  await setAlert(
    alerts,
    {
      code: 'PROXY_NONE_READY',
      now,
      details: {
        thresholdSeconds: windowMs / 1000,
        lastReady: iso(readySince),
        proxies: lastSeen.results.map((p) => `${p.id}: ${p.ready ? 'ready' : 'not ready'} at ${iso(p.last_seen_at)}`).join('; ') || 'none has ever reported',
      },
    },
    summary.PROXY_NONE_READY,
  )

  // Submissions waiting too long.
  const waiting = await backlog(db, now - config.alerts.backlogAfterMs)
  summary.SUBMIT_BACKLOG = waiting.count > 0
  await setAlert(
    alerts,
    {
      code: 'SUBMIT_BACKLOG',
      now,
      details: { waiting: waiting.count, oldestApplication: waiting.oldestId, oldestSince: iso(waiting.oldestAt), lastError: waiting.lastError },
    },
    summary.SUBMIT_BACKLOG,
  )

  // DingTalk's monthly quotas, at 80 % and 100 % of what is configured.
  const usage = await usageThisMonth(db, now)
  const quotas = [
    { used: usage.calls, budget: config.dingtalk.monthlyBudget, codes: ['DINGTALK_API_BUDGET_80', 'DINGTALK_API_BUDGET_100'] as const, variable: 'DINGTALK_MONTHLY_BUDGET' },
    { used: usage.pushes, budget: config.dingtalk.pushMonthlyBudget, codes: ['DINGTALK_PUSH_BUDGET_80', 'DINGTALK_PUSH_BUDGET_100'] as const, variable: 'DINGTALK_PUSH_MONTHLY_BUDGET' },
  ]
  for (const { used, budget, codes, variable } of quotas) {
    const [at80, at100] = codes
    const details = { month: usage.month, used, budget, variable }
    // A budget of 0 means "none allowed", which is not an alarm.
    summary[at80] = budget > 0 && used >= Math.ceil(budget * 0.8)
    summary[at100] = budget > 0 && used >= budget
    await setAlert(alerts, { code: at80, now, details }, summary[at80])
    await setAlert(alerts, { code: at100, now, details }, summary[at100])
  }

  // Keys: only a proxy that answered can tell; when none did, the state stays as it was.
  if (deps.probe) {
    const views = await deps.probe()
    const answered = views.filter((view) => view.reachable)
    const mismatched = answered.filter(showsKeyMismatch)
    if (answered.length === 0) summary.KEY_MISMATCH = 'unknown'
    else {
      summary.KEY_MISMATCH = mismatched.length > 0
      const describe = (view: ProxyView) =>
        view.reachable && view.acceptedProof ? `${view.proxy}: worker check ${view.checks.worker ?? '?'}` : `${view.proxy}: refused the worker's proof`
      await setAlert(alerts, { code: 'KEY_MISMATCH', now, details: { proxies: mismatched.map(describe).join('; ') } }, summary.KEY_MISMATCH)
    }
  }
  return summary
}

/** The probe the cron run uses: every EGRESS_URL, through the EGRESS binding when bound. */
export function proxyProbeFor(env: { EGRESS?: Fetcher }, config: Config): () => Promise<ProxyView[]> {
  const binding = env.EGRESS
  return () =>
    probeProxies({
      egressUrls: config.egressUrls,
      signingKey: config.workerSigningKey,
      fetch: binding ? (input, init) => binding.fetch(input, init) : undefined,
    })
}
