// Adopting a DingTalk instance the worker did not record: after a create whose answer was lost
// (search DingTalk's instance ids for the process, match the application number form field) and
// for an event naming an unknown instance. One approval per application (docs/architecture.md).
import type { Config } from './config.ts'
import { getApplicationByInstance, type Application } from './db/applications.ts'
import { countApiCall } from './db/api-usage.ts'
import type { DingTalkClient, InstanceState } from './dingtalk/client.ts'
import { applyTransition } from './lifecycle.ts'
import type { EventSource } from './db/events.ts'
import { FIRST_POLL_AFTER_MS } from './backoff.ts'

/** DingTalk caps a page at 20 ids (ListProcessInstanceIdsRequest.maxResults). */
const PAGE = 20
/** A search never reads more than this many pages (a runaway list costs the monthly budget). */
const MAX_PAGES = 10
/** DingTalk's clock and ours may differ; the window starts this much before our first create. */
const CLOCK_SLACK_MS = 5 * 60_000

/** The application number the instance's form carries, or null. */
export function applicationIdOf(state: InstanceState, config: Config): string | null {
  const label = config.dingtalk.formLabels.applicationId
  return state.formValues.find((v) => v.name === label)?.value.trim() || null
}

export type SearchDeps = { db: D1Database; config: Config; dingtalk: DingTalkClient; now: number }

/**
 * The instance DingTalk created for `app` although its answer was lost, or null. Every list and
 * get counts against the monthly budget; ids another application already holds are skipped.
 */
export async function searchInstanceOf(deps: SearchDeps, app: Application, since: number): Promise<string | null> {
  const { db, config, dingtalk, now } = deps
  let nextToken = 0
  for (let page = 0; page < MAX_PAGES; page++) {
    await countApiCall(db, now)
    const { ids, nextToken: next } = await dingtalk.listInstanceIds({
      processCode: config.dingtalk.processCode,
      startTime: Math.max(0, since - CLOCK_SLACK_MS),
      endTime: now + CLOCK_SLACK_MS,
      userIds: [config.dingtalk.originatorUserId],
      nextToken,
      maxResults: PAGE,
    })
    for (const id of ids) {
      if (await getApplicationByInstance(db, id)) continue
      await countApiCall(db, now)
      if (applicationIdOf(await dingtalk.getInstance(id), config) === app.id) return id
    }
    if (next === null || ids.length === 0) return null
    nextToken = next
  }
  return null
}

/** `submitted` → `pending_approval` with an instance found rather than created. */
export async function adoptInstance(
  db: D1Database,
  app: Application,
  adopt: { instanceId: string; source: EventSource; now: number; reason: 'search' | 'event' },
): Promise<boolean> {
  const result = await applyTransition(db, {
    applicationId: app.id,
    from: 'submitted',
    to: 'pending_approval',
    type: 'dingtalk.instance_adopted',
    source: adopt.source,
    now: adopt.now,
    data: { instanceId: adopt.instanceId, reason: adopt.reason },
    set: {
      dingtalkInstanceId: adopt.instanceId,
      nextSubmitAt: null,
      lastError: null,
      submitOutcomeUnknownAt: null,
      pollAttempts: 0,
      nextPollAt: adopt.now + FIRST_POLL_AFTER_MS,
    },
  })
  return result === 'applied'
}
