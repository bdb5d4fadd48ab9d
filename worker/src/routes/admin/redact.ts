// Event data as the console shows it. The events are our own (docs/storage.md, `events`) and carry
// no secret today; this keeps it so if one ever does: a member named like a secret is masked.

const SECRET_NAME = /secret|token|password|passwd|authorization|cookie|proof|private|jwk|api[_-]?key|^key$|signature/i

export const REDACTED = '[redacted]'

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) ? REDACTED : redactSecrets(v)]))
}
