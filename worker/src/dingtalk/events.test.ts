import { describe, expect, it } from 'vitest'
import { decisionOf, dedupeKeyOf, eventFromState, parseInstanceEvent } from './events.ts'

describe('parseInstanceEvent', () => {
  it('reads a real finish/agree push (dingtalk.md §5.1)', () => {
    const parsed = parseInstanceEvent({
      result: 'agree',
      createTime: 1499308943000,
      staffId: '0706600569779',
      EventType: 'bpms_instance_change',
      type: 'finish',
      title: 'test',
      processInstanceId: 'c1bc186f-f5b1-4143-8dae-4634b12e8d3d',
      finishTime: 1499309117000,
      corpId: 'ding5c66fc540b93409235c2f4657eb6378f',
    })
    expect(parsed).toEqual({
      ok: true,
      event: { instanceId: 'c1bc186f-f5b1-4143-8dae-4634b12e8d3d', type: 'finish', result: 'agree', eventId: null },
    })
  })

  it('keeps eventId when present, sets other event types aside and refuses incomplete events', () => {
    expect(parseInstanceEvent({ processInstanceId: 'i', type: 'terminate', eventId: 'e1' })).toMatchObject({ ok: true, event: { eventId: 'e1' } })
    expect(parseInstanceEvent({ EventType: 'bpms_task_change', processInstanceId: 'i', type: 'finish' })).toEqual({ ok: 'other', eventType: 'bpms_task_change' })
    expect(parseInstanceEvent({ type: 'finish' })).toMatchObject({ ok: false })
    expect(parseInstanceEvent([1])).toMatchObject({ ok: false })
  })
})

describe('decisionOf', () => {
  it('maps finish/agree, finish/refuse and terminate; nothing for start', () => {
    expect(decisionOf({ type: 'finish', result: 'agree' })).toBe('approved')
    expect(decisionOf({ type: 'finish', result: 'refuse' })).toBe('rejected')
    expect(decisionOf({ type: 'terminate', result: '' })).toBe('withdrawn')
    expect(decisionOf({ type: 'start', result: '' })).toBeNull()
    expect(decisionOf({ type: 'finish', result: '' })).toBeNull()
  })
})

describe('eventFromState', () => {
  it('turns terminal poll results into the events a push would have brought', () => {
    expect(eventFromState('i', { status: 'COMPLETED', result: 'agree' })).toEqual({ instanceId: 'i', type: 'finish', result: 'agree', eventId: null })
    expect(eventFromState('i', { status: 'COMPLETED', result: 'refuse' })?.result).toBe('refuse')
    expect(eventFromState('i', { status: 'TERMINATED', result: '' })?.type).toBe('terminate')
    expect(eventFromState('i', { status: 'RUNNING', result: '' })).toBeNull()
    expect(eventFromState('i', { status: 'NEW', result: '' })).toBeNull()
  })

  it('shares the dedupe key with the pushed event', () => {
    const polled = eventFromState('i', { status: 'COMPLETED', result: 'agree' })!
    expect(dedupeKeyOf(polled)).toBe(dedupeKeyOf({ instanceId: 'i', type: 'finish' }))
  })
})
