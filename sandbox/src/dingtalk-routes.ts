// The DingTalk endpoints the project uses, new and legacy, with DingTalk's request and answer
// shapes (dingtalk.md §1–§3, §5.3). The gateway has already checked address, QPS and token.
import type { Approvals } from './approvals.ts'
import type { SandboxConfig } from './config.ts'
import type { DingTalkReply } from './dingtalk-errors.ts'
import { dingtalkErrors as e, legacyOk } from './dingtalk-errors.ts'
import type { Route } from './dingtalk-gateway.ts'
import { issueToken, TOKEN_TTL_SECONDS } from './dingtalk-gateway.ts'
import { isRecord, parseJson } from './http.ts'
import { apiView, legacyView } from './instance-views.ts'
import type { SandboxState } from './state.ts'
import { checkCreateBody, checkTerminateBody } from './workflow-validation.ts'
import { checkIdsQuery, listInstanceIds } from './instance-ids.ts'

export type RoutesOptions = { config: SandboxConfig; state: SandboxState; now: () => number; approvals: Approvals }

/** get_call_back_failed_result answers at most this many per call (dingtalk.md §5.3). */
export const FAILED_PAGE_SIZE = 200

function ok(body: Record<string, unknown>): DingTalkReply {
  return { status: 200, body }
}

function jsonBody(body: Buffer): Record<string, unknown> | undefined {
  const parsed = parseJson(body)
  return parsed.ok && isRecord(parsed.value) ? parsed.value : undefined
}

export function dingtalkRoutes({ config, state, now, approvals }: RoutesOptions): Route[] {
  const { appKey, appSecret, corpId, processCode } = config.dingtalk
  return [
    {
      method: 'POST',
      path: '/v1.0/oauth2/accessToken',
      generation: 'api',
      tokenEndpoint: true,
      handle: ({ body }) => {
        const input = jsonBody(body)
        if (!input || input.appKey !== appKey || input.appSecret !== appSecret) return e.invalidClient()
        return ok({ accessToken: issueToken(state, now()), expireIn: TOKEN_TTL_SECONDS })
      },
    },
    {
      method: 'GET',
      path: '/gettoken',
      generation: 'oapi',
      tokenEndpoint: true,
      handle: ({ url }) => {
        const key = url.searchParams.get('appkey')
        const secret = url.searchParams.get('appsecret')
        if (!key || !secret) return e.legacyMissingCredentials()
        if (key !== appKey || secret !== appSecret) return e.legacyInvalidCredentials()
        return ok({ errcode: 0, access_token: issueToken(state, now()), errmsg: 'ok', expires_in: TOKEN_TTL_SECONDS })
      },
    },
    {
      method: 'POST',
      path: '/v1.0/workflow/processInstances',
      generation: 'api',
      handle: async ({ body }) => {
        const checked = checkCreateBody(jsonBody(body), processCode)
        if (!checked.ok) return checked.reply
        const instance = approvals.start(checked.value)
        // The createDelayMs fault: the instance exists at once, its answer comes late (a slow DingTalk).
        const delay = state.faults.createDelayMs
        if (delay > 0) await new Promise((done) => setTimeout(done, delay))
        return ok({ instanceId: instance.id })
      },
    },
    {
      method: 'POST',
      path: '/v1.0/workflow/processes/instanceIds/query',
      generation: 'api',
      handle: ({ body }) => {
        const checked = checkIdsQuery(jsonBody(body), processCode, now())
        if (!checked.ok) return checked.reply
        return ok({ result: listInstanceIds(state.instances.values(), checked.value), success: true })
      },
    },
    {
      method: 'GET',
      path: '/v1.0/workflow/processInstances',
      generation: 'api',
      handle: ({ url }) => {
        const id = url.searchParams.get('processInstanceId')
        if (!id) return e.invalidParameter('processInstanceId不能为空')
        const instance = approvals.find(id)
        if (!instance) return e.instanceNotExist()
        // `success` is a string here (Go SDK model: Success *string)
        return ok({ result: apiView(instance, config.publicUrl), success: 'true' })
      },
    },
    {
      method: 'POST',
      path: '/v1.0/workflow/processInstances/terminate',
      generation: 'api',
      handle: ({ body }) => {
        const checked = checkTerminateBody(jsonBody(body))
        if (!checked.ok) return checked.reply
        const { processInstanceId: id, isSystem, remark, operatingUserId } = checked.value
        const instance = approvals.find(id)
        if (!instance) return e.terminateInstanceNotExist()
        if (instance.status !== 'RUNNING') return e.terminateFinished()
        if (now() - instance.createTime < config.dingtalk.terminateMinAgeMs) return e.terminateTooSoon()
        // Not the originator (isSystem false), or the template does not allow 撤销: 820008.
        if (!isSystem && operatingUserId !== instance.originatorUserId) return e.terminateNoPermission()
        if (!config.dingtalk.allowWithdraw || state.faults.withdrawForbidden) return e.terminateNoPermission()
        approvals.terminate(id, { remark, operator: operatingUserId })
        return ok({ result: true, success: true })
      },
    },
    {
      method: 'POST',
      path: '/topapi/processinstance/get',
      generation: 'oapi',
      handle: ({ body }) => {
        const id = jsonBody(body)?.process_instance_id
        if (typeof id !== 'string' || id === '') return e.legacyMissingParameter('process_instance_id')
        const instance = approvals.find(id)
        if (!instance) return e.legacyInstanceNotExist()
        return legacyOk({ process_instance: legacyView(instance, config.publicUrl) })
      },
    },
    {
      method: 'GET',
      path: '/call_back/get_call_back_failed_result',
      generation: 'oapi',
      handle: () => {
        // each failed event is handed out once, oldest first, up to 200 per call
        const page = state.failedPushes.splice(0, FAILED_PAGE_SIZE)
        return legacyOk({
          has_more: state.failedPushes.length > 0,
          failed_list: page.map((failed) => ({
            call_back_tag: 'bpms_instance_change',
            event_time: failed.eventTime,
            bpms_instance_change: { bpmsCallBackData: failed.data, corpid: corpId },
          })),
        })
      },
    },
  ]
}
