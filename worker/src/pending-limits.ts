// The pending limits of POST /api/applications (docs/api.md): one pending request per machine
// (PENDING_PER_FEATURE_CODE per normalised feature code and product) and PENDING_PER_EMAIL per
// email. "Pending" is `submitted` or `pending_approval`. Pure: what is pending in, a verdict out.
import type { PendingFor, PendingLimits } from './db/applications.ts'

export type PendingVerdict =
  | { kind: 'new' }
  /** The same applicant asks again for the same machine: answer their pending application. */
  | { kind: 'existing'; id: string }
  /** Someone else's request for this machine is awaiting review. */
  | { kind: 'taken'; id: string }
  | { kind: 'too_many' }

export function judgePending(pending: PendingFor, limits: PendingLimits): PendingVerdict {
  const forCode = pending.forFeatureCode
  if (forCode.length >= limits.perFeatureCode) {
    const own = forCode.find((app) => app.sameEmail)
    return own ? { kind: 'existing', id: own.id } : { kind: 'taken', id: forCode[0].id }
  }
  if (pending.forEmail >= limits.perEmail) return { kind: 'too_many' }
  return { kind: 'new' }
}
