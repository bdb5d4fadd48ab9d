// Query parameters of the console's read API (docs/api.md, "Admin API"): each checked, with every
// problem collected into one 400 VALIDATION_FAILED whose `fields` name the parameter.
import type { FieldErrors } from '../../errors.ts'
import { ValidationError } from '../../errors.ts'

/** A keyset position: the sort key and the id that breaks its ties. Opaque to clients. */
export type Cursor = Readonly<{ key: number; id: string }>

const ID = /^[A-Z]{2,4}-[0-9A-Z]{1,32}$/
const CONTROL = /[\u0000-\u001f\u007f]/

const b64url = (text: string) => btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')

export function encodeCursor(cursor: Cursor): string {
  return b64url(JSON.stringify([cursor.key, cursor.id]))
}

/** The cursor, or null when it is not one this API handed out. */
export function decodeCursor(text: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return null
  let value: unknown
  try {
    value = JSON.parse(atob(text.replaceAll('-', '+').replaceAll('_', '/')))
  } catch {
    return null
  }
  if (!Array.isArray(value) || value.length !== 2) return null
  const [key, id] = value
  if (!Number.isSafeInteger(key) || key < 0 || typeof id !== 'string' || !ID.test(id)) return null
  return { key, id }
}

/** Reads query parameters into `fields` as it goes; `done()` throws if anything was wrong. */
export class Params {
  readonly fields: FieldErrors = {}
  private readonly query: URLSearchParams
  // No parameter property: Node's type stripping (the benches) cannot run one.
  constructor(query: URLSearchParams, allowed: readonly string[]) {
    this.query = query
    for (const name of new Set(query.keys())) {
      if (!allowed.includes(name)) this.fields[name] = 'NOT_ALLOWED'
      else if (query.getAll(name).length > 1) this.fields[name] = 'INVALID_FORMAT'
    }
  }

  /** The trimmed value, or undefined when absent or blank. */
  text(name: string, max = 256): string | undefined {
    const raw = this.query.get(name)
    if (raw === null || raw.trim() === '') return undefined
    const value = raw.trim()
    if (value.length > max) this.fields[name] = 'TOO_LONG'
    else if (CONTROL.test(value)) this.fields[name] = 'INVALID_FORMAT'
    else return value
    return undefined
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.text(name)
    if (value === undefined) return undefined
    if ((values as readonly string[]).includes(value)) return value as T
    this.fields[name] = 'NOT_ALLOWED'
    return undefined
  }

  integer(name: string, min: number, max: number, fallback: number): number {
    const value = this.text(name)
    if (value === undefined) return fallback
    if (!/^\d{1,9}$/.test(value)) this.fields[name] = 'INVALID_FORMAT'
    else if (Number(value) < min || Number(value) > max) this.fields[name] = 'OUT_OF_RANGE'
    else return Number(value)
    return fallback
  }

  /**
   * A time (ms): `YYYY-MM-DD` (UTC midnight; with `endOfDay` the next midnight, so `to=` a day
   * includes it) or an ISO 8601 date-time with `Z` or an offset.
   */
  date(name: string, endOfDay = false): number | undefined {
    const value = this.text(name, 40)
    if (value === undefined) return undefined
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
    const full = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)
    const ms = day ? Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : full ? Date.parse(value) : NaN
    // Date.UTC rolls 2026-02-31 over to March: a real calendar day must read back the same.
    if (!Number.isFinite(ms) || ms < 0 || (day && new Date(ms).toISOString().slice(0, 10) !== value)) {
      this.fields[name] = 'INVALID_FORMAT'
      return undefined
    }
    return day && endOfDay ? ms + 86_400_000 : ms
  }

  cursor(name = 'cursor'): Cursor | undefined {
    const value = this.text(name, 200)
    if (value === undefined) return undefined
    const cursor = decodeCursor(value)
    if (!cursor) this.fields[name] = 'INVALID_FORMAT'
    return cursor ?? undefined
  }

  done(): void {
    if (Object.keys(this.fields).length > 0) throw new ValidationError(this.fields)
  }
}
