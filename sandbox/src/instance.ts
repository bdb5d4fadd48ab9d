// An approval instance as the sandbox keeps it, its transitions (approve, reject, withdraw) and the
// flat `bpms_instance_change` event each transition produces (dingtalk.md §3.1, §5.1).

export type InstanceStatus = 'RUNNING' | 'COMPLETED' | 'TERMINATED'
export type Decision = 'agree' | 'refuse'
export type EventType = 'start' | 'finish' | 'terminate'

export type FormValue = { id: string; name: string; value: string; componentType: string; extValue?: string; bizAlias?: string }

export type OperationRecord = {
  userId: string
  date: number
  type: 'START_PROCESS_INSTANCE' | 'EXECUTE_TASK_NORMAL' | 'TERMINATE_PROCESS_INSTANCE'
  result: 'AGREE' | 'REFUSE' | 'NONE'
  remark?: string
  activityId?: string
  showName: string
}

export type Task = {
  taskId: number
  userId: string
  status: 'RUNNING' | 'COMPLETED' | 'CANCELED'
  result: 'AGREE' | 'REFUSE' | 'NONE'
  createTime: number
  finishTime?: number
  activityId: string
}

/** The decrypted HTTP-push plaintext, flat (dingtalk.md §5.1). Stable: the proxy and worker read it. */
export type BpmsInstanceChange = {
  EventType: 'bpms_instance_change'
  processInstanceId: string
  corpId: string
  createTime: number
  finishTime?: number
  title: string
  type: EventType
  staffId: string
  url: string
  result?: Decision
  processCode: string
  bizCategoryId: string
  businessId: string
  businessType: string
  eventId: string
}

export type InstanceEvent = { eventId: string; type: EventType; at: number; plaintext: BpmsInstanceChange }

export type Instance = {
  id: string
  processCode: string
  title: string
  businessId: string
  originatorUserId: string
  deptId: string
  createTime: number
  finishTime?: number
  status: InstanceStatus
  result?: Decision
  approverUserIds: string[]
  formComponentValues: FormValue[]
  operationRecords: OperationRecord[]
  tasks: Task[]
  events: InstanceEvent[]
}

export type NewInstance = {
  processCode: string
  originatorUserId: string
  deptId: string
  formComponentValues: { name: string; value: string; id?: string; componentType?: string; extValue?: string; bizAlias?: string }[]
  approverUserIds: string[]
}

export type InstanceContext = { id: string; now: number; businessId: string; processName: string; nextTaskId: () => number }

/** The approver the template's flow names when the request brings none. */
export const DEFAULT_APPROVER = 'manager1'
const APPROVAL_ACTIVITY = 'sandbox-approval-node'

export function createInstance(input: NewInstance, ctx: InstanceContext): Instance {
  const approvers = input.approverUserIds.length > 0 ? input.approverUserIds : [DEFAULT_APPROVER]
  return {
    id: ctx.id,
    processCode: input.processCode,
    title: `${input.originatorUserId}提交的${ctx.processName}`,
    businessId: ctx.businessId,
    originatorUserId: input.originatorUserId,
    deptId: input.deptId,
    createTime: ctx.now,
    status: 'RUNNING',
    approverUserIds: approvers,
    formComponentValues: input.formComponentValues.map((field, index) => ({
      id: field.id ?? `TextField-${index + 1}`,
      name: field.name,
      value: field.value,
      componentType: field.componentType ?? 'TextField',
      ...(field.extValue === undefined ? {} : { extValue: field.extValue }),
      ...(field.bizAlias === undefined ? {} : { bizAlias: field.bizAlias }),
    })),
    operationRecords: [{ userId: input.originatorUserId, date: ctx.now, type: 'START_PROCESS_INSTANCE', result: 'NONE', showName: '发起审批' }],
    tasks: approvers.map((userId) => ({
      taskId: ctx.nextTaskId(),
      userId,
      status: 'RUNNING',
      result: 'NONE',
      createTime: ctx.now,
      activityId: APPROVAL_ACTIVITY,
    })),
    events: [],
  }
}

/** Approve or reject: every open task ends with the decision, the instance completes. */
export function decideInstance(instance: Instance, decision: Decision, now: number, remark?: string): void {
  const result = decision === 'agree' ? 'AGREE' : 'REFUSE'
  const approver = instance.tasks.find((task) => task.status === 'RUNNING')?.userId ?? instance.approverUserIds[0]
  for (const task of instance.tasks) {
    if (task.status !== 'RUNNING') continue
    Object.assign(task, { status: 'COMPLETED', result, finishTime: now })
  }
  instance.operationRecords.push({
    userId: approver,
    date: now,
    type: 'EXECUTE_TASK_NORMAL',
    result,
    ...(remark ? { remark } : {}),
    activityId: APPROVAL_ACTIVITY,
    showName: '审批人',
  })
  instance.status = 'COMPLETED'
  instance.result = decision
  instance.finishTime = now
}

/** The originator withdraws (撤销): open tasks are cancelled, the instance is TERMINATED. */
export function terminateInstance(instance: Instance, now: number, operator: string, remark?: string): void {
  for (const task of instance.tasks) {
    if (task.status !== 'RUNNING') continue
    Object.assign(task, { status: 'CANCELED', finishTime: now })
  }
  instance.operationRecords.push({
    userId: operator,
    date: now,
    type: 'TERMINATE_PROCESS_INSTANCE',
    result: 'NONE',
    ...(remark ? { remark } : {}),
    showName: '撤销',
  })
  instance.status = 'TERMINATED'
  instance.finishTime = now
}

export type EventContext = { eventId: string; now: number; corpId: string; url: string }

/** Records and returns the event DingTalk would push for the instance's current state. */
export function recordEvent(instance: Instance, type: EventType, ctx: EventContext): InstanceEvent {
  const plaintext: BpmsInstanceChange = {
    EventType: 'bpms_instance_change',
    processInstanceId: instance.id,
    corpId: ctx.corpId,
    createTime: instance.createTime,
    ...(type === 'start' ? {} : { finishTime: instance.finishTime ?? ctx.now }),
    title: instance.title,
    type,
    staffId: instance.originatorUserId,
    url: ctx.url,
    // result only on finish (dingtalk.md §5.1)
    ...(type === 'finish' && instance.result ? { result: instance.result } : {}),
    processCode: instance.processCode,
    bizCategoryId: '',
    businessId: instance.businessId,
    businessType: '',
    eventId: ctx.eventId,
  }
  const event: InstanceEvent = { eventId: ctx.eventId, type, at: ctx.now, plaintext }
  instance.events.push(event)
  return event
}
