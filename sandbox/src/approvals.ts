// What happens to instances, shared by the DingTalk API and the control API: start, approve,
// reject, withdraw — each recording the `bpms_instance_change` event and handing it to the event
// channel (HTTP push or Stream).
import { randomUUID } from 'node:crypto'
import type { SandboxConfig } from './config.ts'
import { SandboxError } from './errors.ts'
import type { Decision, EventType, Instance, NewInstance } from './instance.ts'
import { createInstance, decideInstance, recordEvent, terminateInstance } from './instance.ts'
import { consoleUrl } from './instance-views.ts'
import type { EventChannel } from './event-channel.ts'
import type { Delivery, PushSpelling, SandboxState } from './state.ts'
import { businessIdPrefix } from './times.ts'

export type ActionOptions = { remark?: string; spelling?: PushSpelling; operator?: string }

export type Approvals = {
  start(input: NewInstance): Instance
  find(id: string): Instance | undefined
  decide(id: string, decision: Decision, options?: ActionOptions): Instance
  terminate(id: string, options?: ActionOptions): Instance
  /** Delivers the instance's last event again, same eventId; resolves after the attempt. */
  redeliver(id: string, spelling?: PushSpelling): Promise<Delivery>
}

export type ApprovalsOptions = { config: SandboxConfig; state: SandboxState; now: () => number; channel: EventChannel; onChange?: () => void }

export function createApprovals({ config, state, now, channel, onChange }: ApprovalsOptions): Approvals {
  function emit(instance: Instance, type: EventType, spelling: PushSpelling): void {
    const event = recordEvent(instance, type, {
      eventId: randomUUID(),
      now: now(),
      corpId: config.dingtalk.corpId,
      url: consoleUrl(config.publicUrl, instance.id),
    })
    onChange?.()
    // after the current answer is written, as DingTalk pushes asynchronously
    setImmediate(() => channel.deliver(instance.id, event, spelling))
  }

  function running(id: string): Instance {
    const instance = state.instances.get(id)
    if (!instance) throw new SandboxError('SANDBOX_NOT_FOUND', `no instance ${id}`)
    if (instance.status !== 'RUNNING') {
      throw new SandboxError('SANDBOX_INSTANCE_NOT_RUNNING', `instance ${id} is ${instance.status}, not RUNNING`)
    }
    return instance
  }

  return {
    start(input) {
      const at = now()
      state.businessSeq += 1
      const instance = createInstance(input, {
        id: randomUUID(),
        now: at,
        businessId: `${businessIdPrefix(at)}${String(state.businessSeq).padStart(9, '0')}`,
        processName: config.dingtalk.processName,
        nextTaskId: () => (state.taskSeq += 1) + 60_000_000_000,
      })
      state.instances.set(instance.id, instance)
      emit(instance, 'start', 'signature')
      return instance
    },

    find(id) {
      return state.instances.get(id)
    },

    decide(id, decision, options = {}) {
      const instance = running(id)
      decideInstance(instance, decision, now(), options.remark)
      emit(instance, 'finish', options.spelling ?? 'signature')
      return instance
    },

    terminate(id, options = {}) {
      const instance = running(id)
      terminateInstance(instance, now(), options.operator ?? instance.originatorUserId, options.remark)
      emit(instance, 'terminate', options.spelling ?? 'signature')
      return instance
    },

    async redeliver(id, spelling = 'signature') {
      const instance = state.instances.get(id)
      if (!instance) throw new SandboxError('SANDBOX_NOT_FOUND', `no instance ${id}`)
      const event = instance.events.at(-1)
      if (!event) throw new SandboxError('SANDBOX_NO_EVENT', `instance ${id} has no event yet`)
      return channel.redeliver(id, event, spelling)
    },
  }
}
