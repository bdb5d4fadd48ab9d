// One Idempotency-Key per filled form: a retry of the same content (the answer was lost on a phone
// network) reuses it, so the worker answers the first application instead of creating a second;
// any change to the content gets a new key. Pure: the key generator is a parameter.
import type { ApplicationInput } from './api.ts'

export interface SubmissionKey {
  key: string
  /** The exact content the key was made for. */
  content: string
}

export function keyForSubmission(
  previous: SubmissionKey | null,
  input: ApplicationInput,
  newKey: () => string = randomKey,
): SubmissionKey {
  const content = JSON.stringify(input)
  return previous?.content === content ? previous : { key: newKey(), content }
}

/** A random UUID; also where `crypto.randomUUID` is missing (plain-HTTP pages are not secure contexts). */
export function randomKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}
