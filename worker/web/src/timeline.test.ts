import { describe, expect, it } from 'vitest'
import type { ApplicationStatus } from './api.ts'
import { buildTimeline, isFinal } from './timeline.ts'

const at = (minute: number) => `2025-03-01T08:${String(minute).padStart(2, '0')}:00Z`
const entries = (...statuses: ApplicationStatus[]) =>
  statuses.map((status, i) => ({ status, at: at(i) }))
const summary = (steps: ReturnType<typeof buildTimeline>) =>
  steps.map((s) => `${s.status}:${s.state}${s.at ? '@' + s.at.slice(14, 16) : ''}`)

describe('buildTimeline', () => {
  it('marks reached steps done with their times and the next one active', () => {
    const steps = buildTimeline('pending_approval', entries('submitted', 'pending_approval'))
    expect(summary(steps)).toEqual([
      'submitted:done@00',
      'pending_approval:done@01',
      'approved:active',
      'issued:upcoming',
      'delivered:upcoming',
    ])
  })

  it('shows every step done once the license is delivered', () => {
    const all = entries('submitted', 'pending_approval', 'approved', 'issued', 'delivered')
    expect(buildTimeline('delivered', all).every((s) => s.state === 'done' && s.at)).toBe(true)
  })

  it('ends a rejected application at a stopped step after the steps it passed', () => {
    const steps = buildTimeline('rejected', entries('submitted', 'pending_approval', 'rejected'))
    expect(summary(steps)).toEqual([
      'submitted:done@00',
      'pending_approval:done@01',
      'rejected:stopped@02',
    ])
  })

  it('keeps the steps a failed application reached before it failed', () => {
    const steps = buildTimeline(
      'failed',
      entries('submitted', 'pending_approval', 'approved', 'issued', 'failed'),
    )
    expect(summary(steps).at(-2)).toBe('issued:done@03')
    expect(summary(steps).at(-1)).toBe('failed:stopped@04')
  })

  it('still shows the first step when the timeline is empty', () => {
    expect(summary(buildTimeline('submitted', []))).toEqual([
      'submitted:done',
      'pending_approval:active',
      'approved:upcoming',
      'issued:upcoming',
      'delivered:upcoming',
    ])
    expect(summary(buildTimeline('withdrawn', []))).toEqual(['submitted:done', 'withdrawn:stopped'])
  })
})

describe('isFinal', () => {
  it('is true only for delivered, rejected, withdrawn and failed', () => {
    const final = ['delivered', 'rejected', 'withdrawn', 'failed']
    for (const s of ['submitted', 'pending_approval', 'approved', 'issued', ...final]) {
      expect(isFinal(s), s).toBe(final.includes(s))
    }
  })
})
