// The three ways an instance is shown: the new API's camelCase `result` (dingtalk.md §3.1), the
// legacy API's snake_case `process_instance` (§3.2), and the control API's view with push status.
import type { Instance } from './instance.ts'
import type { Delivery, DeliveryStatus } from './state.ts'
import { apiTime, legacyTime } from './times.ts'

const DEPT_NAME = '沙箱部门'

export function consoleUrl(publicUrl: string, instanceId: string): string {
  return `${publicUrl}/console#instance-${instanceId}`
}

/** `GET /v1.0/workflow/processInstances` → `result`. */
export function apiView(instance: Instance, publicUrl: string) {
  const url = consoleUrl(publicUrl, instance.id)
  return {
    title: instance.title,
    createTime: apiTime(instance.createTime),
    ...(instance.finishTime === undefined ? {} : { finishTime: apiTime(instance.finishTime) }),
    originatorUserId: instance.originatorUserId,
    originatorDeptId: instance.deptId,
    originatorDeptName: DEPT_NAME,
    status: instance.status,
    // empty while RUNNING and for TERMINATED (dingtalk.md §3.1, §9.6)
    result: instance.status === 'COMPLETED' ? (instance.result ?? '') : '',
    businessId: instance.businessId,
    approverUserIds: [...instance.approverUserIds],
    ccUserIds: [],
    operationRecords: instance.operationRecords.map((record) => ({
      userId: record.userId,
      date: apiTime(record.date),
      type: record.type,
      result: record.result,
      ...(record.remark ? { remark: record.remark } : {}),
      ...(record.activityId ? { activityId: record.activityId } : {}),
      showName: record.showName,
    })),
    tasks: instance.tasks.map((task) => ({
      taskId: task.taskId,
      userId: task.userId,
      status: task.status,
      result: task.result,
      createTime: apiTime(task.createTime),
      ...(task.finishTime === undefined ? {} : { finishTime: apiTime(task.finishTime) }),
      mobileUrl: url,
      pcUrl: url,
      processInstanceId: instance.id,
      activityId: task.activityId,
    })),
    formComponentValues: instance.formComponentValues.map((field) => ({ ...field })),
    bizAction: 'NONE',
    attachedProcessInstanceIds: [],
    mainProcessInstanceId: '',
  }
}

/** `POST /topapi/processinstance/get` → `process_instance`. */
export function legacyView(instance: Instance, publicUrl: string) {
  const url = consoleUrl(publicUrl, instance.id)
  return {
    title: instance.title,
    create_time: legacyTime(instance.createTime),
    ...(instance.finishTime === undefined ? {} : { finish_time: legacyTime(instance.finishTime) }),
    originator_userid: instance.originatorUserId,
    originator_dept_id: instance.deptId,
    originator_dept_name: DEPT_NAME,
    status: instance.status,
    result: instance.status === 'COMPLETED' ? (instance.result ?? '') : '',
    business_id: instance.businessId,
    approver_userids: [...instance.approverUserIds],
    cc_userids: [],
    biz_action: 'NONE',
    attached_process_instance_ids: [],
    form_component_values: instance.formComponentValues.map((field) => ({
      id: field.id,
      name: field.name,
      value: field.value,
      ...(field.extValue === undefined ? {} : { ext_value: field.extValue }),
      component_type: field.componentType,
    })),
    operation_records: instance.operationRecords.map((record) => ({
      userid: record.userId,
      date: legacyTime(record.date),
      operation_type: record.type,
      operation_result: record.result,
      ...(record.remark ? { remark: record.remark } : {}),
    })),
    tasks: instance.tasks.map((task) => ({
      userid: task.userId,
      task_status: task.status,
      task_result: task.result,
      taskid: String(task.taskId),
      create_time: legacyTime(task.createTime),
      ...(task.finishTime === undefined ? {} : { finish_time: legacyTime(task.finishTime) }),
      activity_id: task.activityId,
      url,
    })),
  }
}

export type PushSummary = { status: DeliveryStatus | 'none'; eventId?: string; type?: string; attempts: number; nextAttemptAt?: string }

/** Push state of the instance's most recent delivery. */
export function pushSummary(instance: Instance, deliveries: readonly Delivery[]): PushSummary {
  let latest: Delivery | undefined
  for (const delivery of deliveries) if (delivery.instanceId === instance.id) latest = delivery
  if (!latest) return { status: 'none', attempts: 0 }
  return {
    status: latest.status,
    eventId: latest.eventId,
    type: latest.type,
    attempts: latest.attempts.length,
    ...(latest.nextAttemptAt === undefined ? {} : { nextAttemptAt: new Date(latest.nextAttemptAt).toISOString() }),
  }
}

/** The control API's view: plain ISO times, the events, and push status. */
export function controlView(instance: Instance, deliveries: readonly Delivery[]) {
  return {
    id: instance.id,
    processInstanceId: instance.id,
    title: instance.title,
    processCode: instance.processCode,
    businessId: instance.businessId,
    originatorUserId: instance.originatorUserId,
    deptId: instance.deptId,
    status: instance.status,
    result: instance.status === 'COMPLETED' ? (instance.result ?? null) : null,
    createTime: new Date(instance.createTime).toISOString(),
    finishTime: instance.finishTime === undefined ? null : new Date(instance.finishTime).toISOString(),
    approverUserIds: [...instance.approverUserIds],
    formComponentValues: instance.formComponentValues.map((field) => ({ ...field })),
    operationRecords: instance.operationRecords.map((record) => ({ ...record, date: new Date(record.date).toISOString() })),
    events: instance.events.map((event) => ({ eventId: event.eventId, type: event.type, at: new Date(event.at).toISOString(), plaintext: event.plaintext })),
    push: pushSummary(instance, deliveries),
  }
}
