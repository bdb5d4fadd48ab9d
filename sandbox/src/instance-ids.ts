// `POST /v1.0/workflow/processes/instanceIds/query` (dingtalk.md §3.4): the ids of a template's
// instances created in a time window, oldest first, at most 20 a page, with DingTalk's window
// rules (start within 365 days, a range of at most 120 days) and its `nextToken` cursor.
import type { DingTalkReply } from './dingtalk-errors.ts'
import { dingtalkErrors as e } from './dingtalk-errors.ts'
import type { Instance, InstanceStatus } from './instance.ts'

export const MAX_IDS_PAGE = 20
const DAY = 86_400_000
const STATUSES: readonly InstanceStatus[] = ['RUNNING', 'COMPLETED', 'TERMINATED']

export type IdsQuery = {
  processCode: string
  startTime: number
  endTime: number | undefined
  offset: number
  maxResults: number
  userIds: string[] | undefined
  statuses: InstanceStatus[] | undefined
}

type Checked = { ok: true; value: IdsQuery } | { ok: false; reply: DingTalkReply }

const bad = (message: string): Checked => ({ ok: false, reply: e.invalidParameter(message) })

function whole(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value)
  return undefined
}

function strings(value: unknown): string[] | undefined | false {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) return false
  return value as string[]
}

export function checkIdsQuery(body: Record<string, unknown> | undefined, processCode: string, now: number): Checked {
  if (!body) return bad('请求体必须是JSON对象')
  if (typeof body.processCode !== 'string' || body.processCode === '') return bad('processCode不能为空')
  if (body.processCode !== processCode) return { ok: false, reply: e.processCodeError() }
  const startTime = whole(body.startTime)
  if (startTime === undefined) return bad('startTime不能为空')
  const endGiven = body.endTime !== undefined && body.endTime !== null
  const endTime = endGiven ? whole(body.endTime) : undefined
  if (endGiven && endTime === undefined) return bad('endTime不合法')
  if (now - startTime > 365 * DAY) return bad('startTime不能早于365天前')
  if ((endTime ?? now) - startTime > 120 * DAY) return bad('查询时间范围不能超过120天')
  if (endTime !== undefined && endTime < startTime) return bad('endTime不能早于startTime')
  const maxResults = whole(body.maxResults)
  if (maxResults === undefined || maxResults < 1 || maxResults > MAX_IDS_PAGE) return bad(`maxResults取值范围为1~${MAX_IDS_PAGE}`)
  const offset = body.nextToken === undefined || body.nextToken === null ? 0 : whole(body.nextToken)
  if (offset === undefined) return bad('nextToken不合法')
  const userIds = strings(body.userIds)
  const statuses = strings(body.statuses)
  if (userIds === false) return bad('userIds不合法')
  if (statuses === false || statuses?.some((s) => !STATUSES.includes(s as InstanceStatus))) return bad('statuses不合法')
  return { ok: true, value: { processCode, startTime, endTime, offset, maxResults, userIds, statuses: statuses as InstanceStatus[] | undefined } }
}

export function listInstanceIds(instances: Iterable<Instance>, query: IdsQuery): { list: string[]; nextToken?: string } {
  const matching = [...instances]
    .filter(
      (i) =>
        i.processCode === query.processCode &&
        i.createTime >= query.startTime &&
        (query.endTime === undefined || i.createTime <= query.endTime) &&
        (!query.userIds || query.userIds.includes(i.originatorUserId)) &&
        (!query.statuses || query.statuses.includes(i.status)),
    )
    .sort((a, b) => a.createTime - b.createTime)
  const page = matching.slice(query.offset, query.offset + query.maxResults)
  const next = query.offset + page.length
  return next < matching.length ? { list: page.map((i) => i.id), nextToken: String(next) } : { list: page.map((i) => i.id) }
}
