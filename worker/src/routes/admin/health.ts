// GET /api/admin/health: proxies, DingTalk calls and pushes this month and submissions today and
// this month against their budgets, the outbox backlog and the firing alerts (docs/api.md).
import { Hono } from 'hono'
import { listFiringAlerts } from '../../alerts/store.ts'
import { readHealthNumbers } from '../../db/admin-health.ts'
import type { StaffEnv } from '../../env.ts'
import { Params } from './params.ts'

export const adminHealth = new Hono<StaffEnv>().get('/', async (c) => {
  new Params(new URL(c.req.url).searchParams, []).done()
  const { config } = c.var
  const now = Date.now()
  const [numbers, alerts] = await Promise.all([readHealthNumbers(c.env.DB, now), listFiringAlerts(c.env.DB)])
  return c.json({
    now,
    proxies: numbers.proxies,
    dingtalk: {
      month: numbers.month,
      calls: numbers.dingtalkCalls,
      callsBudget: config.dingtalk.monthlyBudget,
      pollReserve: config.dingtalk.pollReserve,
      pushes: numbers.dingtalkPushes,
      pushesBudget: config.dingtalk.pushMonthlyBudget,
    },
    submissions: {
      day: numbers.day,
      today: numbers.submissionsToday,
      dailyCap: config.submitCaps.daily,
      month: numbers.month,
      thisMonth: numbers.submissionsThisMonth,
      monthlyCap: config.submitCaps.monthly,
    },
    outbox: { pendingDeliveries: numbers.pendingDeliveries, pendingAlertNotices: numbers.pendingAlertNotices },
    alerts: alerts.map((a) => ({
      code: a.code,
      subject: a.subject,
      fires: a.fires,
      occurrences: a.occurrences,
      details: a.details,
      firstSeenAt: a.firstSeenAt,
      lastSeenAt: a.lastSeenAt,
    })),
  })
})
