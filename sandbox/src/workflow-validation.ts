// Checks a create-instance body (dingtalk.md §2.1) and a terminate body (§3.3) the way DingTalk does,
// into what the sandbox acts on, or into DingTalk's own 400 answer.
import type { DingTalkReply } from './dingtalk-errors.ts'
import { dingtalkErrors } from './dingtalk-errors.ts'
import { isRecord } from './http.ts'
import type { NewInstance } from './instance.ts'

export const MAX_FORM_VALUES = 150
export const MAX_VALUE_LENGTH = 65_535
const MAX_APPROVER_GROUPS = 20
const OPTIONAL_STRINGS = ['id', 'componentType', 'extValue', 'bizAlias'] as const

export type CreateCheck = { ok: true; value: NewInstance } | { ok: false; reply: DingTalkReply }

function reject(reply: DingTalkReply): CreateCheck {
  return { ok: false, reply }
}

function deptIdOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return String(value)
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return value.trim()
  return undefined
}

function approversOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_APPROVER_GROUPS) return undefined
  const users: string[] = []
  for (const group of value) {
    if (!isRecord(group) || !Array.isArray(group.userIds)) return undefined
    if (group.actionType !== undefined && !['AND', 'OR', 'NONE'].includes(group.actionType as string)) return undefined
    for (const user of group.userIds) {
      if (typeof user !== 'string' || user === '') return undefined
      users.push(user)
    }
  }
  return users
}

export function checkCreateBody(body: unknown, processCode: string): CreateCheck {
  const e = dingtalkErrors
  if (!isRecord(body)) return reject(e.invalidParameter('请求参数不是合法的JSON'))
  if (typeof body.processCode !== 'string' || body.processCode === '') return reject(e.invalidParameter('processCode不能为空'))
  if (body.processCode !== processCode) return reject(e.processCodeError())
  if (typeof body.originatorUserId !== 'string' || body.originatorUserId === '') {
    return reject(e.invalidParameter('originatorUserId不能为空'))
  }

  let approverUserIds: string[] = []
  if (body.approvers !== undefined && body.approvers !== null) {
    const approvers = approversOf(body.approvers)
    if (!approvers) return reject(e.invalidParameter('approvers参数不合法'))
    approverUserIds = approvers
  }
  let deptId = '-1'
  if (body.deptId === undefined || body.deptId === null) {
    // deptId may be left out only when the request names the approvers itself
    if (approverUserIds.length === 0) return reject(e.invalidParameter('deptId不能为空'))
  } else {
    const dept = deptIdOf(body.deptId)
    if (dept === undefined) return reject(e.invalidDept('部门ID不合法'))
    deptId = dept
  }

  const values = body.formComponentValues
  if (!Array.isArray(values) || values.length === 0) return reject(e.invalidParameter('formComponentValues不能为空'))
  if (values.length > MAX_FORM_VALUES) return reject(e.invalidParameter(`formComponentValues最多${MAX_FORM_VALUES}项`))
  const form: NewInstance['formComponentValues'] = []
  for (const item of values) {
    if (!isRecord(item) || typeof item.name !== 'string' || item.name === '') {
      return reject(e.invalidParameter('formComponentValues.name不能为空'))
    }
    // every value is a string ≤ 65535; arrays and objects must arrive JSON-encoded (§2.1)
    if (typeof item.value !== 'string' || item.value.length > MAX_VALUE_LENGTH) return reject(e.formConverterError(item.name))
    const field: NewInstance['formComponentValues'][number] = { name: item.name, value: item.value }
    for (const key of OPTIONAL_STRINGS) if (typeof item[key] === 'string') field[key] = item[key] as string
    form.push(field)
  }

  return {
    ok: true,
    value: { processCode: body.processCode, originatorUserId: body.originatorUserId, deptId, formComponentValues: form, approverUserIds },
  }
}

export type TerminateRequest = { processInstanceId: string; isSystem: boolean; remark?: string; operatingUserId?: string }
export type TerminateCheck = { ok: true; value: TerminateRequest } | { ok: false; reply: DingTalkReply }

/** revoke-an-approval-instance: 终止说明，最大长度1024字符. */
export const MAX_TERMINATE_REMARK = 1024

/** The terminate body (dingtalk.md §3.3), with the codes of its doc's error table. */
export function checkTerminateBody(body: unknown): TerminateCheck {
  const e = dingtalkErrors
  if (!isRecord(body)) return { ok: false, reply: e.terminateInvalidParameter('撤销审批实例参数错误') }
  const { processInstanceId, isSystem, remark, operatingUserId } = body
  if (typeof processInstanceId !== 'string' || processInstanceId === '') return { ok: false, reply: e.terminateNoInstanceId() }
  // The body table marks isSystem optional, the error table says it must not be empty: required here.
  if (typeof isSystem !== 'boolean') return { ok: false, reply: e.terminateIsSystemMissing() }
  const operator = typeof operatingUserId === 'string' && operatingUserId !== '' ? operatingUserId : undefined
  if (!isSystem && operator === undefined) return { ok: false, reply: e.terminateOperatorMissing() }
  if (remark !== undefined && (typeof remark !== 'string' || [...remark].length > MAX_TERMINATE_REMARK)) {
    return { ok: false, reply: e.terminateInvalidParameter('撤销审批实例参数错误') }
  }
  return { ok: true, value: { processInstanceId, isSystem, ...(remark ? { remark } : {}), ...(operator ? { operatingUserId: operator } : {}) } }
}
