// What the page keeps in sessionStorage (this tab only, gone when it closes): the filled form and
// its Idempotency-Key, so a reload mid-form (or after an answer was lost) resubmits as the same
// request; and the "just submitted" mark the status page shows its first-visit notice for.
// Storage may be missing or throw (private modes): then nothing is kept. Pure: storage is a parameter.
import type { SubmissionKey } from './idempotency-key.ts'
import type { ApplicationDraft } from './validation.ts'

const FORM_KEY = 'licensedesk:apply-form'
const NEW_KEY = 'licensedesk:submitted'

export interface SavedForm {
  /** The product and QR feature code the form was opened for: a form of another is not restored. */
  product: string | null
  featureCode: string | null
  draft: ApplicationDraft
  submission: SubmissionKey | null
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null

export function sessionStore(): Store {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage
  } catch {
    return null
  }
}

function read(store: Store, key: string): unknown {
  try {
    const text = store?.getItem(key)
    return text ? JSON.parse(text) : null
  } catch {
    return null
  }
}

function write(store: Store, key: string, value: unknown): void {
  try {
    if (value === null) store?.removeItem(key)
    else store?.setItem(key, JSON.stringify(value))
  } catch {
    // Full or refused: the form still works, it is just not kept over a reload.
  }
}

/** The form saved for this product and QR code, or null. */
export function loadForm(store: Store, product: string | null, featureCode: string | null): SavedForm | null {
  const saved = read(store, FORM_KEY) as SavedForm | null
  if (!saved || typeof saved !== 'object' || typeof saved.draft !== 'object' || saved.draft === null) return null
  if (saved.product !== product || saved.featureCode !== featureCode) return null
  const submission = saved.submission
  const validKey = submission && typeof submission.key === 'string' && typeof submission.content === 'string'
  return { ...saved, submission: validKey ? submission : null }
}

export function saveForm(store: Store, form: SavedForm): void {
  write(store, FORM_KEY, form)
}

export function clearForm(store: Store): void {
  write(store, FORM_KEY, null)
}

/** Marks the application as just submitted in this tab. */
export function markSubmitted(store: Store, id: string): void {
  write(store, NEW_KEY, id)
}

/** True once, on the first visit of the status page of the application just submitted. */
export function takeSubmitted(store: Store, id: string): boolean {
  if (read(store, NEW_KEY) !== id) return false
  write(store, NEW_KEY, null)
  return true
}
