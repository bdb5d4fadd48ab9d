// The status page's steps: the happy path (submitted → … → delivered) up to where the application
// is, or the path it took and the step where it stopped (rejected, withdrawn, failed).
import type { ApplicationStatus, TimelineEntry } from './api.ts'

export type StepState = 'done' | 'active' | 'upcoming' | 'stopped'

export interface TimelineStep {
  status: ApplicationStatus
  state: StepState
  /** ISO time the application reached this step, when known. */
  at: string | null
}

export const HAPPY_PATH: readonly ApplicationStatus[] = [
  'submitted',
  'pending_approval',
  'approved',
  'issued',
  'delivered',
]

const STOPPED: readonly ApplicationStatus[] = ['rejected', 'withdrawn', 'failed']

/** Statuses after which nothing changes any more, so the page stops polling. */
export function isFinal(status: string): boolean {
  return status === 'delivered' || STOPPED.includes(status as ApplicationStatus)
}

export function buildTimeline(
  status: ApplicationStatus,
  entries: readonly TimelineEntry[],
): TimelineStep[] {
  const firstAt = (step: ApplicationStatus) => entries.find((e) => e.status === step)?.at ?? null

  if (STOPPED.includes(status)) {
    const reached = entries.reduce((last, e) => Math.max(last, HAPPY_PATH.indexOf(e.status)), 0)
    return [
      ...HAPPY_PATH.slice(0, reached + 1).map((step) => ({
        status: step,
        state: 'done' as const,
        at: firstAt(step),
      })),
      { status, state: 'stopped', at: firstAt(status) },
    ]
  }

  const current = Math.max(0, HAPPY_PATH.indexOf(status))
  return HAPPY_PATH.map((step, i) => ({
    status: step,
    state: i <= current ? 'done' : i === current + 1 ? 'active' : 'upcoming',
    at: i <= current ? firstAt(step) : null,
  }))
}
