// DingTalk's own error bodies (dingtalk.md §1.3, §7, §8): the new API answers non-2xx with
// `{ requestid, code, message }`, the legacy API answers HTTP 200 with `errcode != 0`.
import { randomBytes, randomUUID } from 'node:crypto'

export type DingTalkReply = { status: number; body: Record<string, unknown> }

/** Like `01A08FE7-68C3-7BBD-B223-447768EA4B29`. */
export function requestId(): string {
  return randomUUID().toUpperCase()
}

/** Like `16l4ew3d47pdp`. */
export function legacyRequestId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let out = ''
  for (const byte of randomBytes(13)) out += alphabet[byte % alphabet.length]
  return out
}

export function apiError(status: number, code: string, message: string): DingTalkReply {
  return { status, body: { requestid: requestId(), code, message } }
}

export function legacyError(errcode: number, errmsg: string, extra: Record<string, unknown> = {}): DingTalkReply {
  return { status: 200, body: { errcode, errmsg, ...extra, request_id: legacyRequestId() } }
}

export function legacyOk(fields: Record<string, unknown>): DingTalkReply {
  return { status: 200, body: { errcode: 0, errmsg: 'ok', ...fields, request_id: legacyRequestId() } }
}

function whitelistMessage(ip: string, appKey: string): string {
  return `访问ip不在白名单之中，request ip=${ip}, appKey(${appKey})`
}

export const dingtalkErrors = {
  ipNotInWhiteList: (ip: string, appKey: string) => apiError(403, 'Forbidden.AccessDenied.IpNotInWhiteList', whitelistMessage(ip, appKey)),
  legacyIpNotInWhiteList: (ip: string, appKey: string) => legacyError(60020, whitelistMessage(ip, appKey)),

  invalidClient: () => apiError(400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret'),
  legacyMissingCredentials: () => legacyError(40035, '缺少参数 corpid or appkey'),
  legacyInvalidCredentials: () => legacyError(40096, '不合法的appKey或appSecret'),

  missingToken: () => apiError(400, 'AuthenticationFailed.MissingParameter', '缺少参数：x-acs-dingtalk-access-token'),
  invalidToken: () => apiError(400, 'InvalidAuthentication', '不合法的access_token'),
  legacyMissingToken: () =>
    legacyError(88, 'ding talk error[subcode=40000,submsg=access_token is blank]', { sub_code: '40000', sub_msg: 'access_token is blank' }),
  legacyInvalidToken: () =>
    legacyError(88, 'ding talk error[subcode=40014,submsg=不合法的access_token]', { sub_code: '40014', sub_msg: '不合法的access_token' }),

  qpsLimit: () => apiError(403, 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', '应用调用该接口的请求频率超过限制'),
  legacyQpsLimit: () => legacyError(90018, '当前企业下的appkey调用该接口的并发量超过限制'),

  notFound: () => apiError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.'),
  legacyInvalidMethod: (path: string) => legacyError(22, `Invalid method[${path.replace(/^\/+/, '')}]`),

  unavailable: () => apiError(503, 'ServiceUnavailable', '服务暂不可用，请稍后重试'),
  legacyUnavailable: (): DingTalkReply => ({ status: 503, body: { errcode: -1, errmsg: '系统繁忙', request_id: legacyRequestId() } }),

  invalidParameter: (message: string) => apiError(400, 'invalidParameter', message),
  processCodeError: () => apiError(400, 'processCodeError', '模板processCode不正确'),
  invalidDept: (message: string) => apiError(400, 'processInstanceInvalidParameter', message),
  formConverterError: (name: string) => apiError(400, 'formConverterError', `表单数据校验失败，失败控件：${name}`),
  instanceNotExist: () => apiError(400, 'processInstanceNotExist', '审批实例不存在'),
  legacyMissingParameter: (name: string) => legacyError(40035, `缺少参数 ${name}`),
  legacyInstanceNotExist: () => legacyError(820005, '审批实例不存在'),
  // Terminate's own codes (revoke-an-approval-instance, 错误码); the messages are `%s` there.
  terminateNoInstanceId: () => apiError(400, 'invalidInstanceId', '审批实例ID不能为空'),
  terminateIsSystemMissing: () => apiError(400, 'invalidInstanceTerminateIsSystem', '撤销审批实例，是否通过系统操作参数不能为空'),
  terminateOperatorMissing: () =>
    apiError(400, 'invalidInstanceTerminateOperatingUserId', '撤销审批实例，当isSystem为false时，操作人的userId不能为空'),
  terminateInstanceNotExist: () => apiError(400, 'aflowProcessInstNotExist', '审批实例不存在'),
  terminateTooSoon: () => apiError(400, 'aflowProcessInstStatusException', '提交审批单后15秒内不能进行撤回'),
  terminateFinished: () => apiError(400, 'aflowProcessInstStatusException', '审批单已结束，不能撤回'),
  // 820008 "审批系统错误" / 您没有任务处理的权限: the template does not let the submitter withdraw.
  terminateNoPermission: () => apiError(400, 'internalError', '审批系统错误：您没有任务处理的权限(820008)'),
  terminateInvalidParameter: (message: string) => apiError(400, 'invalidParameter', message),
}
