// Drains the `submitted` backlog fast after an outage: up to SUBMIT_BATCH_MAX per run, at most
// DINGTALK_QPS creates a second (DingTalk allows 20), a few at once, inside the budgets (the
// submission caps and the API budget less the polling reserve, budgets.ts), stopping at the first
// "no proxy relayed" or budget refusal. Used by cron and by a ready proxy's heartbeat.
import type { Config } from './config.ts'
import { claimSubmit, hasSubmitDue, listSubmitDue } from './db/applications.ts'
import { deferSubmissions, raiseCapAlert, resolveCapAlerts, submitWindow, type CapKind } from './budgets.ts'
import { dingtalkFor } from './dingtalk/egress.ts'
import type { DingTalkClient } from './dingtalk/client.ts'
import type { Bindings } from './env.ts'
import { EgressUnavailableError } from './errors.ts'
import { errorFields, type Logger } from './log.ts'
import { submitToDingTalk } from './submission.ts'
import { LEASE_MS } from './backoff.ts'

export const DRAIN_CONCURRENCY = 5

export type DrainDeps = {
  db: D1Database
  config: Config
  dingtalk: DingTalkClient
  log: Logger
  /** The run's time: what is due, and the events' time. */
  now: number
  source: 'api' | 'cron'
  /** Waits, for pacing; a test passes a fake. */
  sleep?: (ms: number) => Promise<void>
  /** The wall clock, for pacing. */
  clock?: () => number
}
export type DrainSummary = {
  due: number
  submitted: number
  stoppedEarly: boolean
  /** A budget was full at the start of the run: nothing was sent. */
  skippedForBudget: boolean
  /** The full budget, when skippedForBudget. */
  closedBy?: CapKind
  /** Applications held back by a budget in this run. */
  deferred: number
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export async function drainBacklog(deps: DrainDeps): Promise<DrainSummary> {
  const { db, config, now, log } = deps
  const sleep = deps.sleep ?? realSleep
  const clock = deps.clock ?? Date.now
  const summary: DrainSummary = { due: 0, submitted: 0, stoppedEarly: false, skippedForBudget: false, deferred: 0 }
  if (config.submitBatchMax <= 0) return summary
  const window = await submitWindow(db, config, now)
  // A budget with room again ends its alert (the next refusal raises it anew).
  await resolveCapAlerts({ db, config, log }, window.states, now)
  if (window.closed) {
    // Every due application waits for the window in one statement, rather than one refusal each.
    const closed = window.closed
    summary.skippedForBudget = true
    summary.closedBy = closed.cap
    summary.deferred = await deferSubmissions(db, closed, { due: true }, now, deps.source)
    if (summary.deferred > 0) await raiseCapAlert({ db, config, log }, closed, now)
    log.warn('a submission budget is used up; submissions paused', { cap: closed.cap, limit: closed.limit, used: closed.used, deferred: summary.deferred })
    return summary
  }
  const batch = Math.min(config.submitBatchMax, window.room)
  const queue = await listSubmitDue(db, now, batch)
  summary.due = queue.length
  const interval = 1000 / config.dingtalkQps
  let nextSlot = clock()
  let stop = false

  async function worker(): Promise<void> {
    while (!stop) {
      const app = queue.shift()
      if (!app) return
      if (!(await claimSubmit(db, app.id, now, now + LEASE_MS))) continue
      // Pacing: each create takes the next free slot, DINGTALK_QPS a second across the workers.
      const slot = Math.max(nextSlot, clock())
      nextSlot = slot + interval
      const wait = slot - clock()
      if (wait > 0) await sleep(wait)
      try {
        const outcome = await submitToDingTalk({ db, config, dingtalk: deps.dingtalk, log, now, source: deps.source }, app)
        if (outcome.status === 'pending_approval') summary.submitted++
        else if (outcome.deferred) {
          // A budget filled up during the run (or elsewhere): the rest wait for the next run's check.
          summary.deferred++
          stop = true
        } else if (outcome.error instanceof EgressUnavailableError) {
          // No proxy is reachable: the rest would fail the same way. They are due next run.
          stop = true
          summary.stoppedEarly = true
        }
      } catch (err) {
        log.error('submitting from the backlog failed', { applicationId: app.id, ...errorFields(err) })
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(DRAIN_CONCURRENCY, queue.length) }, worker))
  // Claimed-but-not-tried rows keep their lease; the unclaimed ones stay due.
  return summary
}

export type HeartbeatDeps = {
  db: D1Database
  config: Config
  log: Logger
  env: Pick<Bindings, 'EGRESS'>
  now: number
  waitUntil: (promise: Promise<unknown>) => void
}

/**
 * Called by POST /internal/proxy-check for each verified heartbeat: a proxy that reports ready
 * while submissions wait starts a drain after the response (the backlog reaches DingTalk within
 * seconds of the proxy being ready, not at the next cron run). True when a drain was started.
 */
export async function onProxyHeartbeat(deps: HeartbeatDeps, heartbeat: { proxyId: string; ready: boolean }): Promise<boolean> {
  if (!heartbeat.ready || !(await hasSubmitDue(deps.db, deps.now))) return false
  const log = deps.log.child({ proxyId: heartbeat.proxyId })
  const dingtalk = dingtalkFor(deps.env, deps.config, `heartbeat-${crypto.randomUUID()}`)
  deps.waitUntil(
    drainBacklog({ db: deps.db, config: deps.config, dingtalk, log, now: deps.now, source: 'cron' })
      .then((summary) => log.info('backlog drained after a proxy heartbeat', summary))
      .catch((err) => log.error('backlog drain after a proxy heartbeat failed', errorFields(err))),
  )
  return true
}
