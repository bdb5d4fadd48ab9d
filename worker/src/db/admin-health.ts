// The console's health view (docs/api.md, "Admin API"): proxies, DingTalk usage and submissions
// against their budgets, the outbox backlog. The numbers only; the route adds the budgets.
import { usageThisMonth } from './api-usage.ts'
import { dayOf, readSubmissionUsage } from './submission-usage.ts'

export type ProxyHealth = {
  id: string
  egressAddress: string | null
  events: string
  ready: boolean
  lastSeenAt: number
  lastReadyAt: number | null
  startedAt: number
}

export type HealthNumbers = {
  proxies: ProxyHealth[]
  month: string
  day: string
  dingtalkCalls: number
  dingtalkPushes: number
  submissionsToday: number
  submissionsThisMonth: number
  pendingDeliveries: number
  pendingAlertNotices: number
}

type ProxyRow = {
  id: string
  egress_address: string | null
  events: string
  ready: number
  last_seen_at: number
  last_ready_at: number | null
  started_at: number
}

export async function readHealthNumbers(db: D1Database, now: number): Promise<HealthNumbers> {
  const [proxies, outbox] = await db.batch([
    db.prepare('SELECT * FROM proxies ORDER BY last_seen_at DESC, id'),
    db.prepare(
      `SELECT (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS deliveries,
              (SELECT COUNT(*) FROM alert_notices WHERE status = 'pending') AS notices`,
    ),
  ])
  const usage = await usageThisMonth(db, now)
  const submissions = await readSubmissionUsage(db, now)
  const backlog = outbox.results[0] as { deliveries: number; notices: number }
  return {
    proxies: (proxies.results as ProxyRow[]).map((p) => ({
      id: p.id,
      egressAddress: p.egress_address,
      events: p.events,
      ready: p.ready === 1,
      lastSeenAt: p.last_seen_at,
      lastReadyAt: p.last_ready_at,
      startedAt: p.started_at,
    })),
    month: usage.month,
    day: dayOf(now),
    dingtalkCalls: usage.calls,
    dingtalkPushes: usage.pushes,
    submissionsToday: submissions.daily,
    submissionsThisMonth: submissions.monthly,
    pendingDeliveries: backlog.deliveries,
    pendingAlertNotices: backlog.notices,
  }
}
