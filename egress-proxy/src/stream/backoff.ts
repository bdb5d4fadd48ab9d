// Reconnect delays: exponential from 1 s to 60 s (as DingTalk's SDK), with jitter so proxies that
// lost the gateway together do not come back in step.

export type BackoffOptions = { minMs: number; maxMs: number }
export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 1_000, maxMs: 60_000 }

/** Delay before retry number `failures` (1, 2, …): half the capped exponential plus a random half. */
export function backoffDelay(failures: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1)
  const capped = Math.min(options.maxMs, options.minMs * 2 ** Math.min(exponent, 30))
  return Math.round(capped / 2 + (capped / 2) * random())
}
