// An event for an instance the worker has not recorded (its create answer was lost, or the event
// outran it): ask DingTalk whose it is, adopt it if it is ours and still `submitted`, else say why
// not. DingTalk unreachable → EventNotResolvedError, so the proxy does not ack and it is redelivered.
import { raiseAlert } from './alerts/store.ts'
import { adoptInstance, applicationIdOf } from './adopt.ts'
import type { Config } from './config.ts'
import { getApplication, type Application } from './db/applications.ts'
import { countApiCall } from './db/api-usage.ts'
import { suspectMissedPush } from './db/worker-state.ts'
import type { DingTalkClient } from './dingtalk/client.ts'
import { DingTalkRejectedError, EventNotResolvedError } from './errors.ts'
import { recordNote } from './lifecycle.ts'
import type { Logger } from './log.ts'

export type ResolveDeps = { db: D1Database; config: Config; dingtalk: DingTalkClient; log: Logger; now: number; source: 'dingtalk' | 'cron' }
export type Resolution =
  | { kind: 'ours'; app: Application }
  | { kind: 'not_ours'; reason: string }
  | { kind: 'duplicate_instance'; app: Application }

export async function resolveUnknownInstance(deps: ResolveDeps, instanceId: string): Promise<Resolution> {
  const { db, config, dingtalk, log, now } = deps
  let state
  try {
    await countApiCall(db, now)
    state = await dingtalk.getInstance(instanceId)
  } catch (err) {
    // DingTalk (or the allowlist) says there is no such instance of this process: not ours.
    if (err instanceof DingTalkRejectedError) return { kind: 'not_ours', reason: err.upstreamCode }
    await suspectMissedPush(db, now)
    throw new EventNotResolvedError(undefined, { cause: err })
  }
  const applicationId = applicationIdOf(state, config)
  const app = applicationId ? await getApplication(db, applicationId) : null
  if (!app) return { kind: 'not_ours', reason: applicationId ? 'unknown application number' : 'no application number' }
  if (app.status === 'submitted' && (await adoptInstance(db, app, { instanceId, source: deps.source, now, reason: 'event' }))) {
    log.warn('adopted a DingTalk instance named by an event', { applicationId: app.id, instanceId })
    return { kind: 'ours', app: (await getApplication(db, app.id))! }
  }
  const current = (await getApplication(db, app.id))!
  if (current.dingtalkInstanceId === instanceId) return { kind: 'ours', app: current }
  await recordNote(db, {
    applicationId: app.id,
    type: 'dingtalk.duplicate_instance',
    source: deps.source,
    now,
    data: { instanceId, recordedInstanceId: current.dingtalkInstanceId, status: current.status },
  })
  await raiseAlert(
    { db, config: deps.config, log },
    {
      code: 'DUPLICATE_INSTANCE',
      subject: instanceId,
      now,
      details: { application: app.id, extraInstance: instanceId, recordedInstance: current.dingtalkInstanceId, status: current.status },
    },
  )
  return { kind: 'duplicate_instance', app: current }
}
