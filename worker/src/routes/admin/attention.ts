// GET /api/admin/attention: failed applications, a submit backlog, approvals waiting too long,
// failing deliveries and repeat requests, each capped with its count (docs/api.md, "Admin API").
import { Hono } from 'hono'
import { readAttention } from '../../db/admin-attention.ts'
import type { StaffEnv } from '../../env.ts'
import { Params } from './params.ts'

export const ATTENTION_CAP = 100
export const REPEAT_WINDOW_MS = 30 * 86_400_000

export const adminAttention = new Hono<StaffEnv>().get('/', async (c) => {
  new Params(new URL(c.req.url).searchParams, []).done()
  const { config } = c.var
  const now = Date.now()
  const attention = await readAttention(c.env.DB, {
    now,
    backlogAfterMs: config.alerts.backlogAfterMs,
    pendingAfterMs: config.access.pendingAttentionMs,
    repeatWindowMs: REPEAT_WINDOW_MS,
    cap: ATTENTION_CAP,
  })
  return c.json({
    now,
    cap: ATTENTION_CAP,
    thresholds: {
      submittedAfterMs: config.alerts.backlogAfterMs,
      pendingApprovalAfterMs: config.access.pendingAttentionMs,
      repeatWindowMs: REPEAT_WINDOW_MS,
    },
    ...attention,
  })
})
