// Retry schedules (docs/architecture.md, "Application lifecycle"). Pure: attempt numbers in, delays out.

const MINUTE = 60_000
const HOUR = 60 * MINUTE
/**
 * "At the next run": cron fires once a minute, so a row due a full minute after a failure between
 * two runs would miss the next one and wait two. Half a minute is due by the next run, never in
 * the same one.
 */
export const NEXT_RUN_MS = 30_000

/**
 * Submitting to DingTalk: the next cron run (a blip should not cost the applicant minutes), then
 * 1, 2, 5, 10, 30 min, then hourly; given up after a day (unavailable).
 */
export const SUBMIT_BACKOFF_MS = [0, 1, 2, 5, 10, 30, 60].map((m) => m * MINUTE)
export const SUBMIT_GIVE_UP_AFTER_MS = 24 * HOUR
/** A DingTalk business error (4xx) is a configuration problem: a few tries (~50 min), then failed. */
export const SUBMIT_REJECTED_MAX_ATTEMPTS = 6

/**
 * Mail deliveries: a passing failure (5xx, network) is retried every run for the first hour of the
 * delivery (an outage of the provider must not cost hours), then 5 min, 30 min, 2 h, 6 h; a
 * delivery is given up when it is a day old, not after a number of attempts.
 */
export const DELIVERY_BACKOFF_MS = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR]
export const DELIVERY_EVERY_RUN_FOR_MS = HOUR
export const DELIVERY_GIVE_UP_AFTER_MS = 24 * HOUR
/** A 429 without `retry-after`: the next run. */
export const DELIVERY_RATE_LIMITED_MS = NEXT_RUN_MS
/** Per cron run, deliveries are sent for about this long at MAIL_RATE_PER_SECOND. */
export const OUTBOX_RUN_SECONDS = 45
/** The send right after a decision (in waitUntil) waits out a short retry-after for this long at most. */
export const EVENT_SEND_SECONDS = 10
/** Resend still works on our previous attempt (409 concurrent_idempotent_requests): ask again next run. */
export const DELIVERY_RETRY_SOON_MS = NEXT_RUN_MS

/** Reconciling: first poll 10 min after submission, then doubling, at most hourly. */
export const FIRST_POLL_AFTER_MS = 10 * MINUTE
export const MAX_POLL_INTERVAL_MS = HOUR

/** While a run works on a row, its due time is pushed this far so no other run takes it. */
export const LEASE_MS = 2 * MINUTE

const pick = (schedule: readonly number[], attempt: number): number => schedule[Math.min(Math.max(attempt, 1), schedule.length) - 1]

/** Delay before the next submit after `attempt` failed attempts. */
export const submitDelay = (attempt: number): number => pick(SUBMIT_BACKOFF_MS, attempt)

/** Delay before the next delivery attempt after `attempt` failures (misconfigured key: the schedule). */
export const deliveryDelay = (attempt: number): number => pick(DELIVERY_BACKOFF_MS, attempt)

/** Delay after a passing failure of a delivery of age `age`: the next run for the first hour, then backing off. */
export const deliveryRetryDelay = (attempt: number, age: number): number =>
  age < DELIVERY_EVERY_RUN_FOR_MS ? NEXT_RUN_MS : pick(DELIVERY_BACKOFF_MS, Math.max(attempt, 2))

/** Delay before the next poll after `attempt` polls: 20, 40, 60, 60 … minutes. */
export const pollDelay = (attempt: number): number => Math.min(FIRST_POLL_AFTER_MS * 2 ** Math.max(attempt, 1), MAX_POLL_INTERVAL_MS)
