// What every console action shares (docs/console.md, "Actions"): its inputs once validated, who
// does it and when, and the dedupe key its event is recorded under so a repeated key does nothing.

export type ActionInput = { reason: string; idempotencyKey: string | null; email: string | null }

/** A Reissue's corrections: null keeps the current license's value. */
export type ReissueInput = ActionInput & { featureCode: string | null; quantity: number | null }

export type ActionDeps = { db: D1Database; now: number; operator: string }

/** The event's dedupe key for an action sent with a key: one action per (application, key). */
export const actionDedupeKey = (action: string, applicationId: string, key: string): string => `operator/${action}/${applicationId}/${key}`
