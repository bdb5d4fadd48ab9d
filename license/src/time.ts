// Instants as the API takes them (a Date, or milliseconds since the epoch like Date.now()) turned
// into the whole seconds that license claims use.

export type Instant = Date | number

export function toSeconds(value: Instant, what: string): number {
  const ms = value instanceof Date ? value.getTime() : value
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError(`${what} must be a Date or milliseconds since the epoch`)
  }
  return Math.floor(ms / 1000)
}

export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}
